"""Classic image filters as convolutions: Gaussian blur and Sobel edges on an MNIST digit.

The filters are fixed conv2d weights (1 -> 4 channels, 5x5, padding 2): a Gaussian
(sigma 1, normalised to sum 1), Sobel-x, Sobel-y (zero-padded to 5x5) and a Laplacian.
Expected outcome:
- every output equals SciPy's `ndimage.correlate` of the image with the same kernel
  (zero padding) to within 1e-5: conv2d is a cross-correlation, as in PyTorch;
- the blur keeps the total ink (the sums agree within 1%: the kernel sums to 1 and the
  digit sits away from the border) and lowers the peak contrast;
- Sobel-x and Sobel-y are exactly 0 on the blank background, respond on the left/right
  and top/bottom edges of the strokes, and their magnitude sqrt(gx^2 + gy^2) outlines
  the digit.
Plot: conv_filters.png.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import mnist, parse, pyplot, savefig

from autograd import Tensor
from nn.functional import conv2d


def kernels() -> dict[str, np.ndarray]:
    """The 5x5 kernels: Gaussian (sigma 1), Sobel x/y and a Laplacian (3x3 ones centred)."""
    r = np.arange(-2, 3)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / 2.0)
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64)
    pad = lambda k: np.pad(k, 1)  # noqa: E731 - centre a 3x3 kernel in 5x5
    return {"gaussian": g / g.sum(), "sobel_x": pad(sobel_x), "sobel_y": pad(sobel_x.T),
            "laplacian": pad(lap)}


def main(argv: Sequence[str] | None = None) -> dict:
    """Filter one digit, compare with SciPy, print the figures, save the panel."""
    from scipy import ndimage

    args = parse(__doc__, argv)
    _, (xt, tt) = mnist(args.data_dir, n_train=1, n_test=1, flat=False)
    image, label = xt[0, 0], int(tt[0])
    ks = kernels()
    w = Tensor(np.stack(list(ks.values()))[:, None].astype(np.float32))
    out = conv2d(Tensor(xt[:1]), w, padding=2).data[0]
    res = dict(zip(ks, out, strict=True))
    err = max(float(np.abs(res[k] - ndimage.correlate(image, ks[k], mode="constant")).max())
              for k in ks)
    background = ndimage.maximum_filter(image, size=5) == 0  # 3x3 Sobel sees only zeros
    edge_zero = max(float(np.abs(res[k][background]).max()) for k in ("sobel_x", "sobel_y"))
    magnitude = np.hypot(res["sobel_x"], res["sobel_y"])
    fig = {"label": label, "max_abs_error_vs_scipy": err, "ink": float(image.sum()),
           "ink_blurred": float(res["gaussian"].sum()), "peak": float(image.max()),
           "peak_blurred": float(res["gaussian"].max()), "sobel_on_background": edge_zero,
           "edge_max": float(magnitude.max())}
    print(f"digit {label}: conv2d vs scipy.ndimage.correlate, max abs difference {err:.2e}")
    print(f"gaussian blur: total ink {fig['ink']:.2f} -> {fig['ink_blurred']:.2f}, peak "
          f"{fig['peak']:.2f} -> {fig['peak_blurred']:.2f}")
    print(f"sobel: largest response on the blank background {edge_zero:.1e}; strongest edge "
          f"magnitude {fig['edge_max']:.2f}")
    plt = pyplot()
    f, axes = plt.subplots(1, 6, figsize=(14, 2.6))
    panels = {"digit": image, **res, "edge magnitude": magnitude}
    for ax, (name, img) in zip(axes, panels.items(), strict=True):
        if name in ("digit", "gaussian", "edge magnitude"):
            ax.imshow(img, cmap="gray")
        else:  # signed responses: white = 0
            m = float(np.abs(img).max()) or 1.0
            ax.imshow(img, cmap="RdBu", vmin=-m, vmax=m)
        ax.set_title(name)
        ax.axis("off")
    savefig(f, args.out, "conv_filters.png")
    return fig


if __name__ == "__main__":
    main()
