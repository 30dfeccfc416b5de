"""Image transforms on NumPy arrays with torchvision's names and argument order: one image
(C, H, W) / (H, W) or a batch (N, C, H, W); `transforms.functional` has the functional forms.

Random transforms take keyword-only `seed=` or `rng=` (a `np.random.Generator`; with neither,
tracegrad's shared generator, which `ag.manual_seed` resets and every DataLoader worker
reseeds) and draw fresh parameters per image, also inside a batch.
"""

from . import functional
from ._base import Compose, Lambda, RandomTransform, Transform
from .affine import RandomAffine, RandomRotation, RandomScale, RandomShear, RandomTranslation
from .functional import (
    InterpolationMode,
    affine,
    center_crop,
    crop,
    hflip,
    normalize,
    pad,
    random_crop,
    resize,
    resized_crop,
    rotate,
    scale,
    shear,
    to_float,
    to_tensor,
    translate,
    vflip,
)
from .geometry import (
    CenterCrop,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomVerticalFlip,
    Resize,
)
from .tensor import ConvertImageDtype, Normalize, ToFloat, ToTensor

__all__ = [
    "Transform",
    "RandomTransform",
    "Compose",
    "Lambda",
    "InterpolationMode",
    "Normalize",
    "Pad",
    "Resize",
    "CenterCrop",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomAffine",
    "RandomRotation",
    "RandomTranslation",
    "RandomScale",
    "RandomShear",
    "ToFloat",
    "ConvertImageDtype",
    "ToTensor",
    "functional",
    "normalize",
    "pad",
    "crop",
    "center_crop",
    "resize",
    "resized_crop",
    "random_crop",
    "hflip",
    "vflip",
    "affine",
    "translate",
    "rotate",
    "scale",
    "shear",
    "to_float",
    "to_tensor",
]
