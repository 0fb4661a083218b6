# Feedback's models, one module per side: complaints here; compliments, child and family
# responses and advocacy referrals in their own module (imported on the line after this one).
from feedback.models.complaints import *  # noqa: F403
