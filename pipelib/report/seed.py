"""What the seed notebook printed (../shared/seed), as printed: the report's "seed" column.

Values are the notebook's own text, at its own precision (``0.97325``, not ``0.9732``), so
the report shows them exactly; numbers the seed did not print are not here. The one number
people quote from a re-run of the notebook (Titanic training accuracy) is kept apart.
"""

from __future__ import annotations

# The seed's binary classifier is 5-vs-rest (y_train_5 = (y_train == 5)): its binary numbers below
# are comparable only with a run whose mnist.positive_digit is this digit.
POSITIVE_DIGIT = 5

CV_ACCURACY = ["0.97525", "0.97325", "0.9732"]  # cross_val_score(log_clf, ..., cv=3)
BASELINE_CV_ACCURACY = ["0.91125", "0.90855", "0.90915"]  # cross_val_score(never_5_clf, ...)
CONFUSION = [["54039", "540"], ["1026", "4395"]]  # confusion_matrix(y_train_5, y_train_pred)
BASELINE_CONFUSION = [["54579", "0"], ["5421", "0"]]
PRECISION = "0.8905775075987842"  # precision_score(y_train_5, y_train_pred)
RECALL = "0.8107360265633647"
BASELINE_PRECISION = "0"
BASELINE_RECALL = "0"
PR_PRECISIONS = "59897"  # precisions.shape
PR_THRESHOLDS = "59896"  # thresholds.shape
SOFTMAX_TEST_ACCURACY = "0.9243"
SOFTMAX_AUGMENTED_TEST_ACCURACY = "0.9279"

DATA_SHAPE = "(70000, 784)"  # X.shape
FIRST_BINARY_PREDICTIONS = "[True, False, False]"  # log_clf.predict([X[0], X[1], X[2]])
FIRST_SOFTMAX_PREDICTIONS = "[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]"  # softmax_reg.predict(X_train)[:10]
AUGMENTED_SHAPE = "(300000, 784)"  # X_train_augmented.shape

WALKTHROUGH_ROW = 48
WALKTHROUGH_CV = "(True, False)"  # y_train_pred[48], y_train_5[48]
WALKTHROUGH_SCORE = "0.22419046"  # log_clf.decision_function([X_train[48]])
WALKTHROUGH_DECISIONS = {0.0: "[ True]", 0.5: "[False]"}  # y_scores > threshold

TITANIC_SHAPE = "(891, 12)"  # X_train.shape after preprocessing
TITANIC_ROWS = "891"  # train_data.info(): RangeIndex: 891 entries, 12 columns
TITANIC_COLUMNS = "12"
TITANIC_NON_NULL = {
    "PassengerId": "891",
    "Survived": "891",
    "Pclass": "891",
    "Name": "891",
    "Sex": "891",
    "Age": "714",
    "SibSp": "891",
    "Parch": "891",
    "Ticket": "891",
    "Fare": "891",
    "Cabin": "204",
    "Embarked": "889",
}
TITANIC_VALUE_COUNTS = {
    "Survived": {"0": "549", "1": "342"},
    "Pclass": {"3": "491", "1": "216", "2": "184"},
    "Sex": {"male": "577", "female": "314"},
    "Embarked": {"S": "644", "C": "168", "Q": "77"},
}

# Not printed by the seed: the notebook re-run on the same data with scikit-learn 1.9.1 (seed README).
RERUN_TITANIC_TRAIN_ACCURACY = "0.8047"
