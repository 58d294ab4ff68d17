#!/bin/sh
# Objective of three_objectives.yaml: reports {"values": [a, b, 2 - a - b + noise]} on fd 3.
awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "{\"values\": [%.6f, %.6f, %.6f]}\n", a, b, 2 - a - b + (n % 5) * 0.05 }' >&3
