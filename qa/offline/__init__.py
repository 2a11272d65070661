"""Offline work on the reader, outside the question path: training data, training, calibration and evaluation."""
