// Activation functions shared by the shaders that apply them.
#ifndef REGARD_ACTIVATIONS_GLSL
#define REGARD_ACTIVATIONS_GLSL

float silu(float x)
{
  return x / (1.0 + exp(-x));
}

#endif
