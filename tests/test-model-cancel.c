/* test-model-cancel.c: the family description checks itself, and Stop
 * reaches into a long forward on both backends: the model's cancellable
 * is checked between its steps (command buffers on Vulkan, layers on the
 * reference backend), counted by the on_step test hook, never by a clock. */
#include "test-common.h"

#include "regard-engine.h"
#include "rg-arch.h"
#include "rg-model-gpu.h"
#include "rg-model-ref.h"
#include "rg-snapshot.h"

#define N_TOKENS 40

typedef struct
{
  GCancellable *cancellable;
  guint steps;
  guint cancel_at;   /* 0: never */
} Hook;

static void
on_step (gpointer data)
{
  Hook *h = data;

  if (++h->steps == h->cancel_at)
    g_cancellable_cancel (h->cancellable);
}

static RgSnapshot *
open_fixture (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  RgSnapshot *snap = rg_snapshot_open (dir, &error);

  g_assert_no_error (error);
  return snap;
}

static void
prompt_ids (const RgModel *model, int32_t *ids)
{
  for (guint i = 0; i < N_TOKENS; i++)
    {
      ids[i] = (int32_t) ((7 + 13 * i) % model->config.text.vocab_size);
      if (ids[i] == model->config.image_token_id)
        ids[i] = 1;
    }
}

/* Cancels at the first step of a forward of N_TOKENS: the forward fails
 * with CANCELLED after that one step (an uncancelled one takes more),
 * leaves the cache as it was, and the next forward is exact. */
static void
check_cancel_mid_prefill (RgModel *model)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree float *logits = g_new (float, model->config.text.vocab_size);
  g_autofree float *again = g_new (float, model->config.text.vocab_size);
  int32_t ids[N_TOKENS];
  Hook hook = { .cancellable = cancellable };
  guint full_steps;

  prompt_ids (model, ids);
  model->cancellable = cancellable;
  model->on_step = on_step;
  model->on_step_data = &hook;

  g_assert_true (model->vtable->forward (model, ids, N_TOKENS, NULL, 0, logits, &error));
  g_assert_no_error (error);
  full_steps = hook.steps;
  g_assert_cmpuint (full_steps, >, 2);
  model->vtable->truncate (model, 0);

  hook = (Hook) { .cancellable = cancellable, .cancel_at = 1 };
  g_assert_false (model->vtable->forward (model, ids, N_TOKENS, NULL, 0, again, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* cancel was seen at the first check: no step ran after it */
  g_assert_cmpuint (hook.steps, ==, 1);
  g_assert_cmpuint (model->n_past, ==, 0);

  g_cancellable_reset (cancellable);
  hook = (Hook) { .cancellable = cancellable };
  g_assert_true (model->vtable->forward (model, ids, N_TOKENS, NULL, 0, again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (model->n_past, ==, N_TOKENS);
  g_assert_cmpmem (logits, model->config.text.vocab_size * sizeof (float),
                   again, model->config.text.vocab_size * sizeof (float));
  model->cancellable = NULL;
  model->on_step = NULL;
}

static void
test_vulkan_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = open_fixture ();
  g_autoptr(RgVkContext) vk = rg_vk_context_new (NULL, &error);
  g_autoptr(RgModel) model = NULL;

  g_assert_no_error (error);
  model = rg_model_gpu_new (snap, vk, RG_WEIGHTS_F32, 256, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* the tiny model is fast: a small budget makes several command buffers,
   * as a 400-token prefill of a real model makes on lavapipe */
  rg_model_gpu_set_submit_flops (model, 1e5);
  check_cancel_mid_prefill (model);
  g_assert_cmpuint (rg_model_gpu_get_n_submits (model), >, 3);
  g_clear_pointer (&model, rg_model_free);
}

static void
test_reference_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = open_fixture ();
  g_autoptr(RgModel) model = rg_model_ref_new (snap, 256, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  check_cancel_mid_prefill (model);
}

static void
test_arch_valid (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (rg_arch_validate (&rg_arch_idefics2, &error));
  g_assert_no_error (error);
  g_assert_true (rg_arch_validate (&rg_arch_idefics3, &error));
  g_assert_no_error (error);
}

/* The family of the config picks the description; a pixel shuffle that
 * does not fit the patch grid is refused. */
static void
test_arch_idefics3 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  RgModelConfig cfg;
  RgArchDims dims;

  g_assert_no_error (error);
  cfg = *rg_snapshot_get_config (snap);
  g_assert_true (rg_arch_for_config (&cfg, &dims, &error) == &rg_arch_idefics3);
  g_assert_cmpuint (dims.d[RG_DIM_NL], ==, 4);
  g_assert_cmpuint (dims.d[RG_DIM_SCALE], ==, 4);
  g_assert_cmpuint (dims.d[RG_DIM_V_SHUFFLED], ==, 512);
  cfg.connector.scale_factor = 3;
  g_assert_null (rg_arch_for_config (&cfg, &dims, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
}

/* A config whose dims multiply past 32 bits is refused, not wrapped. */
static void
test_arch_overflow (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = open_fixture ();
  RgModelConfig cfg = *rg_snapshot_get_config (snap);
  RgArchDims dims;

  g_assert_nonnull (rg_arch_for_config (&cfg, &dims, &error));
  g_assert_no_error (error);
  cfg.text.num_attention_heads = 1u << 20;
  cfg.text.head_dim = 1u << 14;
  g_assert_null (rg_arch_for_config (&cfg, &dims, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
  g_clear_error (&error);

  cfg = *rg_snapshot_get_config (snap);
  cfg.text.vocab_size = 1u << 24;
  cfg.text.hidden_size = 1u << 10;
  cfg.perceiver.hidden_size = cfg.text.hidden_size;
  g_assert_null (rg_arch_for_config (&cfg, &dims, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/arch/description-valid", test_arch_valid);
  g_test_add_func ("/model/arch/overflow-refused", test_arch_overflow);
  g_test_add_func ("/model/idefics3/arch/description", test_arch_idefics3);
  g_test_add_func ("/model/vulkan/cancel-mid-prefill", test_vulkan_cancel);
  g_test_add_func ("/model/reference/cancel-mid-prefill", test_reference_cancel);
  return g_test_run ();
}
