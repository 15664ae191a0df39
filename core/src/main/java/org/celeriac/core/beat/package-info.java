/**
 * Celery beat: periodic tasks from {@code beat_schedule} (intervals and Celery-semantics crontabs),
 * persistent run state, and lease-based leader election so several beats can run safely.
 */
package org.celeriac.core.beat;
