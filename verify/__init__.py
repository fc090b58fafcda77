"""verify: find where news articles agree and contradict each other."""

__version__ = "0.1.0"

import os as _os

# oneDNN keeps a compiled kernel (and its scratch memory) per input shape; with length-varying batches
# that cache alone grew to gigabytes. 16 entries keep bf16 inference as fast and its memory flat.
# Set before torch first uses oneDNN; a value the user set wins.
_os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")

