"""The REST API for claims, their relations, match candidates, exports and ClaimReview."""
