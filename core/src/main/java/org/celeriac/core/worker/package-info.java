/** The worker: consuming, executing, acknowledging and storing results ({@code celery/worker}). */
package org.celeriac.core.worker;
