"""Claims out of articles: check-worthy sentences (claims), their values (values: the one number/date/quantity
model) and the time they are about (timeinfo)."""
