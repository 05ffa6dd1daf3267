/**
 * Reports on runs: {@link io.github.lth.core.report.RunReport} turns a run directory and its
 * controls into one self-contained HTML page.
 *
 * <pre>{@code
 * String page = RunReport.html(StoredRun.open(Path.of("runs/lenet")));
 * }</pre>
 */
package io.github.lth.core.report;
