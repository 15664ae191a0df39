/** Internal helpers of core; not for users, may change without notice. */
package org.celeriac.core.internal;
