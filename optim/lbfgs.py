"""L-BFGS with an optional strong-Wolfe line search (PyTorch `torch.optim.LBFGS`, after minFunc).

All parameters are treated as one flat vector: `step(closure)` runs up to `max_iter` quasi-
Newton iterations, each from the two-loop recursion over the last `history_size` curvature
pairs (s, y), and returns the loss of the first closure call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from optim.optimizer import Optimizer, ParamsT, bump_version, check_number

Objective = Callable[[np.ndarray, float, np.ndarray], tuple[float, np.ndarray]]


def cubic_interpolate(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`
    (default: the interval between the points); the midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


def strong_wolfe(
    obj: Objective, x: np.ndarray, t: float, d: np.ndarray, f: float, g: np.ndarray,
    gtd: float, c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Line search along `d` from `x` for a step meeting the strong Wolfe conditions
    (Nocedal & Wright, algorithms 3.5-3.6): returns (f, grad, t, evaluations)."""
    d_norm = np.abs(d).max()
    f_new, g_new = obj(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    # bracketing phase: grow t until an interval holds a point meeting the conditions
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f, bracket_g = [f_prev, f_new], [g_prev, g_new.copy()]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f, bracket_g = [f_prev, f_new], [g_prev, g_new.copy()]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    # zoom phase: shrink the bracket until its low end meets the conditions
    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # keep trial points 10% of the bracket away from its ends when progress stalls
        lo_b, hi_b = min(bracket), max(bracket)
        margin = 0.1 * (hi_b - lo_b)
        if min(hi_b - t, t - lo_b) < margin:
            if insufficient or t >= hi_b or t <= lo_b:
                t = hi_b - margin if abs(t - hi_b) < abs(t - lo_b) else lo_b + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS (PyTorch `torch.optim.LBFGS` semantics): one parameter group only, and
    `step(closure)` needs a closure that zeroes the gradients, recomputes and backpropagates
    the loss, and returns it.

    >>> import autograd as ag
    >>> w = ag.tensor([3.0, -1.0], dtype="float64", requires_grad=True)
    >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = ((w - 1.0) ** 2).sum(); loss.backward(); return loss
    >>> _ = opt.step(closure); w.data.round(6)
    array([1., 1.])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("learning rate", group["lr"])
        for name in ("max_iter", "max_eval", "history_size"):
            v = group[name]
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Invalid {name}: {v} (expected a positive int)")
        check_number("tolerance_grad", group["tolerance_grad"])
        check_number("tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"Invalid line_search_fn: {group['line_search_fn']!r} (only None or "
                "'strong_wolfe' are supported)"
            )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    @staticmethod
    def _cast_state(name: str, value: Any, p: Tensor) -> Any:
        import copy

        return copy.deepcopy(value.data if isinstance(value, Tensor) else value)

    # ----- flat views of the parameters -----

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([
            np.zeros(p.data.size, p.data.dtype) if p.grad is None else p.grad.data.reshape(-1)
            for p in self._params
        ])

    def _add_to_params(self, step: float, direction: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p.data.size
            if not p.data.flags.writeable:
                p.data = np.array(p.data, copy=True)
            p.data += (step * direction[offset : offset + n]).reshape(p.data.shape)
            offset += n
            bump_version(p)

    def _set_params(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self._params, values, strict=True):
            p.data[...] = v
            bump_version(p)

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with ag.enable_grad():
            return float(closure())

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to `max_iter` L-BFGS iterations; return the loss of the first evaluation."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that recomputes and returns the loss")
        group = self.param_groups[0]
        lr, history_size = group["lr"], group["history_size"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with ag.enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        def objective(x: list[np.ndarray], step: float, direction: np.ndarray):
            self._add_to_params(step, direction)
            f = self._evaluate(closure)
            g = self._flat_grad()
            self._set_params(x)
            return f, g

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only if the curvature condition holds
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                # two-loop recursion: d = -H grad
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = r = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tol_change:
                break

            evals = 0
            if group["line_search_fn"] is not None:
                x_init = [p.data.copy() for p in self._params]
                loss, flat_grad, t, evals = strong_wolfe(
                    objective, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals,
                )
                self._add_to_params(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add_to_params(t, d)
                opt_cond = False
                if n_iter != max_iter:  # the last iterate is evaluated by the next step
                    loss = self._evaluate(closure)
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(
            d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
            prev_flat_grad=prev_flat_grad, prev_loss=prev_loss,
        )
        return orig_loss
