"""zoo: one feature per kind of defect."""
