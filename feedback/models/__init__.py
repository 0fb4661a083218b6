# Feedback's models, one module per side: complaints; compliments, child and family responses
# and advocacy referrals (voice).
from feedback.models.complaints import *  # noqa: F403
from feedback.models.voice import *  # noqa: F403
