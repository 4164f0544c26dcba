"""Predictions on new data with the pipeline's model files, and the models as scikit-learn objects.

``python -m pipelib.predict digits|passengers`` writes a CSV of predictions (see
docs/predict.md); :mod:`pipelib.predict.estimators` turns a model file into a fitted
``LogisticRegression`` or the whole Titanic ``Pipeline``.
"""
