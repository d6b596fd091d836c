"""Rules, one per module, grouped in families by the hundreds digit of their code.

1 reads · 2 iteration · 3 copies · 4 dtypes · 5 lifetimes and caches · 6 bulk data · 7 torch
"""
