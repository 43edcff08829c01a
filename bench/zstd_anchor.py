"""Plain zstd from Python's `zstandard` package on the bytes `ranklab bench replay` dumps.

Usage: zstd_anchor.py FILE --chunk-bytes N --level L
Compresses FILE in chunks of N bytes (the replay buffer's plain chunks), then decompresses
them, and prints one JSON object: raw and compressed bytes and MB/s each way.
"""
import argparse
import json
import time

import zstandard


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--chunk-bytes", type=int, required=True)
    parser.add_argument("--level", type=int, default=3)
    args = parser.parse_args()
    data = open(args.file, "rb").read()
    chunks = [data[i : i + args.chunk_bytes] for i in range(0, len(data), args.chunk_bytes)]
    compressor = zstandard.ZstdCompressor(level=args.level)
    decompressor = zstandard.ZstdDecompressor()
    start = time.perf_counter()
    packed = [compressor.compress(chunk) for chunk in chunks]
    compress_s = time.perf_counter() - start
    start = time.perf_counter()
    for chunk, frame in zip(chunks, packed):
        out = decompressor.decompress(frame, max_output_size=len(chunk))
        assert len(out) == len(chunk)
    decompress_s = time.perf_counter() - start
    megabytes = len(data) / 1e6
    print(json.dumps({
        "zstandard_version": zstandard.__version__,
        "raw_bytes": len(data),
        "compressed_bytes": sum(len(p) for p in packed),
        "compress_mb_s": megabytes / compress_s,
        "decompress_mb_s": megabytes / decompress_s,
    }))


if __name__ == "__main__":
    main()
