"""bnref: a numpy reference for batch normalization and the Section 2 example of Ioffe &
Szegedy (2015).

Arrays are ``(m, d)``: ``m`` examples of a batch (axis 0) by ``d`` units (axis 1); statistics
are per unit, over axis 0. Training statistics use the biased variance and put ``ε`` inside the
square root, as in the paper's Algorithm 1.
"""

from bnref._validate import FloatRangeError
from bnref.batchnorm import (
    BatchNormSaved,
    Removed,
    StagedGradients,
    Standardized,
    batch_norm,
    batch_norm_backward,
    batch_norm_forward,
    batch_norm_vjp,
    batch_norm_vjp_paper,
    removed_components,
    standardize,
    standardize_jacobian,
)
from bnref.centering import center, center_jacobian, center_vjp
from bnref.experiments import (
    Drift,
    DriftWithBeta,
    ScaleRun,
    bias_drift,
    bias_drift_with_beta,
    bias_gradient,
    layer_output,
    scale_drift,
)
from bnref.gradcheck import complex_step_gradient, finite_difference_gradient
from bnref.statistics import (
    Affine,
    Population,
    Running,
    batch_norm_conv,
    batch_norm_conv_vjp,
    batch_norm_inference,
    expected_batch_variance,
    fold_affine,
    population_statistics,
    running_statistics,
    update_running,
)
from bnref.trainer import (
    Dataset,
    Parameters,
    TrainRun,
    init_parameters,
    loss_and_gradients,
    make_dataset,
    network_loss,
    network_population,
    predict,
    train,
)

__version__ = "0.1.0"

__all__ = [
    "Affine",
    "BatchNormSaved",
    "Dataset",
    "Drift",
    "DriftWithBeta",
    "FloatRangeError",
    "Parameters",
    "Population",
    "Removed",
    "Running",
    "ScaleRun",
    "StagedGradients",
    "Standardized",
    "TrainRun",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_conv",
    "batch_norm_conv_vjp",
    "batch_norm_forward",
    "batch_norm_inference",
    "batch_norm_vjp",
    "batch_norm_vjp_paper",
    "bias_drift",
    "bias_drift_with_beta",
    "bias_gradient",
    "center",
    "center_jacobian",
    "center_vjp",
    "complex_step_gradient",
    "expected_batch_variance",
    "finite_difference_gradient",
    "fold_affine",
    "init_parameters",
    "layer_output",
    "loss_and_gradients",
    "make_dataset",
    "network_loss",
    "network_population",
    "population_statistics",
    "predict",
    "removed_components",
    "running_statistics",
    "scale_drift",
    "standardize",
    "standardize_jacobian",
    "train",
    "update_running",
]
