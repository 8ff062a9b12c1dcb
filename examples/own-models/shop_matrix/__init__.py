"""What the shop relies on, observed on each backend the matrix runs."""
