/** The serializer SPI: {@link org.celeriac.spi.serializer.Serializer} and its provider. Non-null unless documented. */
package org.celeriac.spi.serializer;
