"""MEM7xx: PyTorch training and inference code that keeps autograd graphs alive."""
