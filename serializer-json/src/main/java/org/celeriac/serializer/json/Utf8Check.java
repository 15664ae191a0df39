package org.celeriac.serializer.json;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 validation (RFC 3629, as Python's {@code bytes.decode("utf-8")} which kombu applies
 * before {@code json.loads}): rejects stray continuation bytes, truncated sequences, overlong forms,
 * encoded surrogates and code points above U+10FFFF. ASCII input, which is all that Python and this
 * serializer ever write, is checked eight bytes at a time. Stateless.
 */
final class Utf8Check {

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private Utf8Check() {
    }

    /**
     * @return -1 when {@code data} is valid UTF-8, else the offset of the first byte of the first
     *         invalid sequence
     */
    static int firstInvalid(byte[] data) {
        int i = 0;
        int n = data.length;
        for (; i + 8 <= n; i += 8) {
            if (((long) LONGS.get(data, i) & HIGH_BITS) != 0) {
                break;
            }
        }
        while (i < n) {
            int b = data[i] & 0xff;
            if (b < 0x80) {
                i++;
                continue;
            }
            int len;
            int lo = 0x80;
            int hi = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                len = 2;
            } else if (b >= 0xe0 && b <= 0xef) {
                len = 3;
                if (b == 0xe0) {
                    lo = 0xa0; // no overlong
                } else if (b == 0xed) {
                    hi = 0x9f; // no surrogates
                }
            } else if (b >= 0xf0 && b <= 0xf4) {
                len = 4;
                if (b == 0xf0) {
                    lo = 0x90; // no overlong
                } else if (b == 0xf4) {
                    hi = 0x8f; // nothing above U+10FFFF
                }
            } else {
                return i;
            }
            if (i + len > n) {
                return i;
            }
            int second = data[i + 1] & 0xff;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k < len; k++) {
                int c = data[i + k] & 0xff;
                if (c < 0x80 || c > 0xbf) {
                    return i;
                }
            }
            i += len;
        }
        return -1;
    }
}
