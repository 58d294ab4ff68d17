#!/bin/sh
printf '{"step": 1, "value": 2.5}\n{"step": 2, "value": 1.5}\n' >&3
printf '{"attr": "note", "value": "v1 fixture"}\n' >&3
printf '{"value": %s}\n' "$1" >&3
