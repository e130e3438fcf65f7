#!/bin/sh
# Compiles one GLSL compute shader to SPIR-V and validates the result.
# usage: glslc-spv.sh GLSLC SPIRV_VAL INPUT OUTPUT DEPFILE [glslc args...]
set -eu
glslc="$1"; spirv_val="$2"; input="$3"; output="$4"; depfile="$5"
shift 5
"$glslc" --target-env=vulkan1.2 -fshader-stage=compute -O \
  -MD -MF "$depfile" -MT "$output" "$@" -o "$output" "$input"
"$spirv_val" --target-env vulkan1.2 "$output"
