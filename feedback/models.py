# Complaints, compliments and child and family feedback arrive in a later issue.
