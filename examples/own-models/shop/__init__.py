"""A team's application: a shop with customers and their orders."""
