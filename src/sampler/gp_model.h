// Gaussian-process regression and log expected improvement for GPSampler (private to
// src/sampler/). Free functions and a value class so that tests/sampler/gp_sampler_test.cc checks
// each against numpy (tests/data/gp_expected.json, written by scripts/gen_gp_expected.py).
//
// Model (Rasmussen & Williams 2006, "Gaussian Processes for Machine Learning", ch. 2 and 5):
//   y = f(x) + eps,  f ~ GP(0, k),  eps ~ N(0, noise_variance),
//   k(x, x') = signal_variance * m52(r2),  m52(r2) = (1 + sqrt(5 r2) + 5/3 r2) exp(-sqrt(5 r2))
// (Matern 5/2, R&W eq. 4.17), with automatic relevance determination:
//   r2 = sum_d lambda_d * delta_d(x_d, x'_d),  lambda_d = 1 / lengthscale_d^2,
//   delta_d = (x_d - x'_d)^2 for numeric dimensions (unit-cube coordinates) and
//   delta_d = [x_d != x'_d] for categorical dimensions (the coordinate is the choice index: a
//   Hamming distance, as Optuna's GPSampler does).
// Inputs are points as COLUMNS of a (d x n) matrix; outputs are standardized by the caller.
// Hyperparameters are handled in log space: theta = (log lambda_1..d, log signal_variance,
// log noise_variance), shape (d + 2).
//
// Everything here is pure and thread-safe.
#pragma once

#include <vector>

#include <Eigen/Dense>

namespace autoglm::gp {

/// Kernel hyperparameters. All entries > 0.
struct KernelParams {
  Eigen::VectorXd inverse_squared_lengthscales;  ///< (d), lambda_d = 1 / l_d^2, l in unit-cube units
  double signal_variance = 1.0;                  ///< k(x, x), in standardized-output units^2
  double noise_variance = 1e-2;                  ///< observation noise, standardized-output units^2

  /// theta = (log lambda, log signal_variance, log noise_variance), shape (d + 2).
  Eigen::VectorXd to_log() const;
  static KernelParams from_log(const Eigen::VectorXd& theta);
};

/// Matern 5/2 as a function of the squared scaled distance r2 >= 0, and its derivative
/// d m52 / d r2 = -5/6 (1 + sqrt(5 r2)) exp(-sqrt(5 r2)).
double matern52(double r2);
double matern52_grad(double r2);

/// Kernel matrix k(A_i, B_j), shape (a x b), for points as columns of A (d x a) and B (d x b).
/// `categorical[d]` marks Hamming dimensions (size d).
Eigen::MatrixXd kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const std::vector<bool>& categorical,
                              const KernelParams& p);

/// Lower Cholesky factor of K + noise I (K = kernel_matrix(X, X)), with jitter escalation: when
/// the factorization fails, 1e-9 * signal_variance is added to the diagonal and multiplied by 10
/// up to 1e-1 * signal_variance. Returns false (and leaves `llt` unusable) only when all fail.
bool factorize(const Eigen::MatrixXd& K_plus_noise, Eigen::LLT<Eigen::MatrixXd>& llt, double signal_variance);

/// Buffers of log_marginal_likelihood, reused across calls of the same size (an optimizer's
/// evaluations) so that the (n x n) matrices are not reallocated each time.
struct LikelihoodWorkspace {
  Eigen::MatrixXd K, dK, Kn, Linv, W, G, XG;
  Eigen::LLT<Eigen::MatrixXd> llt;
};

/// Log marginal likelihood log p(y | X, theta) (R&W eq. 2.30) of standardized outputs y (n),
/// and, when `grad` is given, its gradient w.r.t. theta (d + 2) (R&W eq. 5.9:
/// 1/2 tr((alpha alpha^T - K^-1) dK/dtheta_j)). Returns -inf when K cannot be factorized.
/// Cost O(n^2 d + n^3).
double log_marginal_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<bool>& categorical,
                               const KernelParams& p, Eigen::VectorXd* grad = nullptr,
                               LikelihoodWorkspace* workspace = nullptr);

/// Log prior of the hyperparameters (Optuna's GPSampler default prior, up to a constant):
///   sum_d -(0.1 / lambda_d + 0.1 lambda_d)           (peaks at lambda = 1, i.e. lengthscale 1)
///   + log Gamma(signal_variance; shape 2, rate 1)    (mode 1)
///   + log Gamma(noise_variance; shape 1.1, rate 30)  (mode 0.0033, mean 0.037)
/// evaluated on the hyperparameters themselves (no log-Jacobian), with the gradient w.r.t. theta.
double log_prior(const KernelParams& p, Eigen::VectorXd* grad = nullptr);

/// Options of fit_kernel_params.
struct FitOptions {
  /// Noise variance floor (and its fixed value when `fix_noise`).
  double min_noise = 1e-6;
  /// Keep noise_variance at min_noise (deterministic objectives).
  bool fix_noise = false;
  /// L-BFGS-B iterations per start.
  int max_iterations = 50;
};

/// Bounds of theta used by the fit: lambda in [1e-4, 1e4], signal_variance in [1e-3, 1e3],
/// noise_variance in [min_noise, 10].
void theta_bounds(int dims, const FitOptions& options, Eigen::VectorXd& lower, Eigen::VectorXd& upper);

/// Maximum a posteriori hyperparameters: maximizes log_marginal_likelihood + log_prior over
/// theta within theta_bounds by LBFGS++'s L-BFGS-B with the analytic gradient, from each start
/// in `starts` (each shape (d + 2), clipped to the bounds). A start whose line search fails
/// (LBFGS++ throws) keeps the best point it evaluated. Returns the best point over all starts;
/// `best_value` (if given) receives its log posterior and `evaluations` the number of
/// likelihood evaluations.
KernelParams fit_kernel_params(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<bool>& categorical,
                               const std::vector<Eigen::VectorXd>& starts, const FitOptions& options,
                               double* best_value = nullptr, int* evaluations = nullptr);

/// The posterior of a fitted GP: O(n^3) construction (Cholesky and L^-1), then O(n d + n^2) per
/// query point. The variance is that of the latent f (no observation noise).
class GPRegressor {
 public:
  /// X (d x n), standardized y (n). Throws std::runtime_error when K + noise I cannot be
  /// factorized even with jitter (not reachable with noise_variance >= 1e-6).
  GPRegressor(Eigen::MatrixXd X, Eigen::VectorXd y, std::vector<bool> categorical, KernelParams params);

  /// Posterior mean and variance (floored at kMinVariance) at the columns of Q (d x m); shapes (m).
  void posterior(const Eigen::MatrixXd& Q, Eigen::VectorXd& mean, Eigen::VectorXd& variance) const;
  /// Posterior at one point x (d) with the gradients w.r.t. x (d; zero in categorical
  /// dimensions, and for the variance zero when floored).
  void posterior_grad(const Eigen::VectorXd& x, double& mean, double& variance, Eigen::VectorXd& dmean,
                      Eigen::VectorXd& dvariance) const;

  const Eigen::MatrixXd& X() const { return X_; }
  const Eigen::VectorXd& y() const { return y_; }
  const KernelParams& params() const { return params_; }
  static constexpr double kMinVariance = 1e-12;

 private:
  Eigen::MatrixXd X_;
  Eigen::VectorXd y_;
  std::vector<bool> categorical_;
  KernelParams params_;
  Eigen::VectorXd alpha_;  // K^-1 y
  Eigen::MatrixXd Linv_;   // L^-1, lower triangular, K + noise I = L L^T
};

/// erfcx(x) = exp(x^2) erfc(x) for x >= 0 (the scaled complementary error function).
double erfcx(double x);
/// log h(z), h(z) = phi(z) + z Phi(z), stable for every finite z (Ament et al. 2023,
/// "Unexpected Improvements to Expected Improvement for Bayesian Optimization", eq. 9):
///   z > -1:           log(phi(z) + z Phi(z))
///   -1e3 < z <= -1:   -z^2/2 - log(2 pi)/2 + log1mexp(log(erfcx(-z/sqrt 2) |z|) + log(pi/2)/2)
///   z <= -1e3:        -z^2/2 - log(2 pi)/2 - 2 log|z| + log(1 - 3/z^2 + 15/z^4 - 105/z^6)
/// The paper switches to the last (asymptotic) form at -1/sqrt(eps) with its leading term only;
/// switching at -1e3 with three more terms (error below 1e-18 relative) keeps log1mexp's argument
/// away from 0, where rounding would make it -inf. Accuracy against 80-digit references: 1e-12
/// relative (tests/sampler/gp_sampler_test.cc).
double log_h(double z);
/// d log h / dz = Phi(z) / h(z) (> 0), stable in the same ranges.
double log_h_grad(double z);
/// log EI for maximization: log E[max(f - best, 0)] = log_h(z) + log sigma, z = (mean - best) / sigma,
/// sigma = sqrt(variance). With `dmean`/`dvariance`, the partial derivatives.
double log_ei(double mean, double variance, double best, double* dmean = nullptr, double* dvariance = nullptr);

}  // namespace autoglm::gp
