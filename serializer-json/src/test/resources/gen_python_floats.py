# Regenerates python-float-repr.txt: "<ieee754 bits as 16 hex digits> <json.dumps(value)>" per line.
# Run with any CPython 3 (json.dumps(float) == float.__repr__ for finite values, as in kombu 5.2.4).
import json, random, struct

random.seed(20240102)
values = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 5e-324, -5e-324, 1e-323, 2.2250738585072014e-308,
          1.7976931348623157e308, 0.1, 0.2, 0.3, 1 / 3, 2 / 3, 1e23, 9.5e-5, 1e-4, 1e-5, 1e15, 1e16, 9999999999999998.0,
          123456789012345.6, 0.30000000000000004, 2.0 ** 53, 2.0 ** 63, 2.0 ** 64, 4.35, 0.5, 1.5e16]
values += [10.0 ** e for e in range(-323, 309)]
values += [5.0 * 10.0 ** e for e in range(-323, 308)]
values += [2.0 ** e for e in range(-1074, 1024, 7)]
values += [struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0] for _ in range(2500)]
values += [round(random.uniform(-1e6, 1e6), random.randint(0, 8)) for _ in range(1000)]
values += [random.randint(1, 99) * 10.0 ** random.randint(-320, 300) for _ in range(1000)]
values += [struct.unpack("<d", struct.pack("<Q", random.getrandbits(52)))[0] for _ in range(300)]  # subnormals
with open("python-float-repr.txt", "w") as out:
    for v in values:
        bits = struct.unpack("<Q", struct.pack("<d", v))[0]
        out.write("%016x %s\n" % (bits, json.dumps(v)))
