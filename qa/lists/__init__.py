"""List answers: whether a question asks for several items, and the items the articles name, with stance."""
