"""The pandas + scikit-learn baseline for bench/speed_train.py: read_csv, the reference pipeline's
fit on the training file, predict_proba on the validation file. Prints one JSON line."""
import json
import sys
import time

start = time.perf_counter()
import pandas as pd  # noqa: E402  (imports count toward the baseline's time)
from sklearn.metrics import roc_auc_score  # noqa: E402

from common import X_EDUCATION_LEAKY, reference_pipeline  # noqa: E402

train_path, test_path = sys.argv[1], sys.argv[2]
train = pd.read_csv(train_path)
test = pd.read_csv(test_path)
read_seconds = time.perf_counter() - start
drop = ["Prospect ID", "Lead Number", *X_EDUCATION_LEAKY]
X_train, pipeline = reference_pipeline(train, "Converted", drop)
X_test, _ = reference_pipeline(test, "Converted", drop)
pipeline.fit(X_train, train["Converted"])
auc = roc_auc_score(test["Converted"], pipeline.predict_proba(X_test)[:, 1])
print(json.dumps({"roc_auc": auc, "read_seconds": read_seconds, "seconds": time.perf_counter() - start,
                  "features": int(pipeline.named_steps["pre"].transform(X_test.head(5)).shape[1])}))
