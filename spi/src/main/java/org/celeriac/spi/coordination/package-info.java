/** A small coordination contract offered by a broker or a result backend. Non-null unless documented. */
package org.celeriac.spi.coordination;
