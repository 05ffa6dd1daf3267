package io.github.lth.core.transfer;

/**
 * The verdict on one subnetwork (a configuration at one round) on one target: its seeds'
 * statistics, whether it matches the dense reference on that target and its relative increase
 * in error. See {@link Verdicts} for the definitions.
 *
 * <pre>{@code
 * Verdict v = verdicts.get("linear", "imp", 3).orElseThrow();
 * System.out.printf("%.1f %% sparse: %.4f ± %.4f, matching %s, δ %.3f%n", 100 * v.sparsity(),
 *     v.stats().mean(), v.stats().std(), v.matching(), v.delta());
 * }</pre>
 *
 * @param target the downstream target
 * @param configuration the subnetwork's configuration
 * @param round its pruning round
 * @param sparsity its share of pruned weights
 * @param stats the metric over its seeds (sample standard deviation)
 * @param matching whether it is within one standard deviation of the reference (or better)
 * @param delta the relative increase in error over the reference; NaN when the reference's error
 *     (or loss) is 0
 */
public record Verdict(String target, String configuration, int round, double sparsity,
    SeedStatistics stats, boolean matching, double delta) {}
