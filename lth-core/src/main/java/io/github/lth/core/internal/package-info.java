/**
 * Not API: machinery lth4j's own modules share (kill points for crash tests, the removal of
 * temporary files at shutdown). It may change in any release; do not call it.
 */
package io.github.lth.core.internal;
