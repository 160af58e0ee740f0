"""What a user would pick instead: splines, Clough-Tocher, RBF, k-NN, Gaussian processes, kernel ridge."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..._params import Param, positive_float, positive_int
from ._base import Method, register_method

if TYPE_CHECKING:
    from ...targets import Target


@register_method
class CloughTocher(Method):
    """scipy's CloughTocher2DInterpolator (C1 cubic on Qhull's Delaunay; NaN outside the hull)."""

    name = "clough_tocher"
    dims = (2,)
    description = "scipy CloughTocher2DInterpolator"

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from scipy.interpolate import CloughTocher2DInterpolator

        self._m = CloughTocher2DInterpolator(X, y)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._m(xi)


@register_method
class CubicSplineMethod(Method):
    """scipy's CubicSpline through the sorted samples (1D, not-a-knot ends)."""

    name = "cubic_spline"
    dims = (1,)
    description = "scipy CubicSpline (1D)"
    params_schema = {"bc_type": Param("choice", "not-a-knot", choices=("not-a-knot", "natural", "clamped"))}

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from scipy.interpolate import CubicSpline

        order = np.argsort(X[:, 0])
        self._m = CubicSpline(X[order, 0], y[order], bc_type=self.params["bc_type"])

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._m(xi[:, 0])


@register_method
class RBFMethod(Method):
    """scipy's RBFInterpolator with the thin-plate spline kernel (and a linear tail)."""

    name = "rbf"
    description = "scipy RBFInterpolator (thin-plate spline)"
    params_schema = {
        "kernel": Param("str", "thin_plate_spline"),
        "smoothing": Param("float", 0.0, min=0),
        "epsilon": positive_float(None, optional=True),
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from scipy.interpolate import RBFInterpolator

        kw = {"kernel": self.params["kernel"], "smoothing": self.params["smoothing"]}
        if self.params["epsilon"] is not None:
            kw["epsilon"] = self.params["epsilon"]
        self._m = RBFInterpolator(X, y, **kw)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._m(xi)


@register_method
class KNNMethod(Method):
    """scikit-learn's KNeighborsRegressor (``n_neighbors`` capped at n, distance weights)."""

    preload = ("sklearn.neighbors",)
    name = "knn"
    description = "scikit-learn KNeighborsRegressor"

    @classmethod
    def cost_terms(cls, dim: int, n: int, params: dict) -> dict[str, float] | None:
        """One cheap task up to 256 points (a k-d tree), else unknown."""
        return {f"task_{dim}d": 1.0} if n <= 256 and dim in (1, 2) else None
    params_schema = {
        "n_neighbors": positive_int(5),
        "weights": Param("choice", "distance", choices=("distance", "uniform")),
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from sklearn.neighbors import KNeighborsRegressor

        k = min(self.params["n_neighbors"], X.shape[0])
        self._m = KNeighborsRegressor(n_neighbors=k, weights=self.params["weights"]).fit(X, y)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._m.predict(xi)


@register_method
class GaussianProcessMethod(Method):
    """scikit-learn's GaussianProcessRegressor: constant x RBF kernel, length scale
    fitted by maximum likelihood (seeded restarts), tiny nugget, normalised y."""

    preload = ("sklearn.gaussian_process",)
    name = "gp"
    description = "scikit-learn GaussianProcessRegressor (RBF kernel)"
    params_schema = {
        "alpha": positive_float(1e-8, doc="nugget added to the kernel diagonal"),
        "length_scale": positive_float(0.3, doc="initial length scale (fitted)"),
        "n_restarts": Param("int", 0, min=0, doc="optimizer restarts"),
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel

        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(self.params["length_scale"], (1e-3, 1e2))
        self._m = GaussianProcessRegressor(
            kernel=kernel,
            alpha=self.params["alpha"],
            normalize_y=True,
            n_restarts_optimizer=self.params["n_restarts"],
            random_state=int(seed),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self._m.fit(X, y)
        self._info["kernel"] = str(self._m.kernel_)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._m.predict(xi)


@register_method
class KernelRidgeMethod(Method):
    """scikit-learn's KernelRidge with a Gaussian kernel; the default length scale
    is twice the mean nearest-neighbour distance of the samples."""

    preload = ("sklearn.kernel_ridge",)
    name = "kernel_ridge"
    description = "scikit-learn KernelRidge (RBF kernel)"
    params_schema = {
        "alpha": positive_float(1e-8),
        "length_scale": positive_float(None, optional=True),
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from scipy.spatial import cKDTree
        from sklearn.kernel_ridge import KernelRidge

        ell = self.params["length_scale"]
        if ell is None:
            dist, _ = cKDTree(X).query(X, k=2)
            ell = 2.0 * float(np.mean(dist[:, 1]))
        self._info["length_scale"] = ell
        self._mean = float(np.mean(y))
        self._m = KernelRidge(alpha=self.params["alpha"], kernel="rbf", gamma=1.0 / (2 * ell**2)).fit(X, y - self._mean)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._m.predict(xi) + self._mean

