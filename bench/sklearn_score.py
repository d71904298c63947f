"""The pandas + scikit-learn scoring baseline for bench/speed_score.py: fits the reference
pipeline on a sample (not timed), then times read_csv + predict_proba + to_csv on the file.
Prints one JSON line."""
import json
import sys
import time

import pandas as pd

from common import X_EDUCATION_LEAKY, reference_pipeline

train_path, score_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
drop = ["Prospect ID", "Lead Number", *X_EDUCATION_LEAKY]
sample = pd.read_csv(train_path, nrows=100_000)
X, pipeline = reference_pipeline(sample, "Converted", drop)
pipeline.fit(X, sample["Converted"])
del sample, X

start = time.perf_counter()
leads = pd.read_csv(score_path)
X, _ = reference_pipeline(leads, "Converted", drop)
scores = pd.DataFrame({"Prospect ID": leads["Prospect ID"], "probability": pipeline.predict_proba(X)[:, 1]})
scores.to_csv(out_path, index=False)
print(json.dumps({"seconds": time.perf_counter() - start}))
