#!/usr/bin/env python3
"""Writes a tiny llama-architecture GGUF model with random weights for the tests.

Usage: make_tiny_gguf.py OUT.gguf

The model is useless as a language model but real to the engine: llama.cpp loads
it, tokenizes any text, runs it and streams tokens, in milliseconds on one CPU.
The bytes are deterministic (fixed seed), so every run writes the same file.

Architecture ("llama", all tensors F32, about 0.5 MB):
  vocabulary       459 tokens, SentencePiece-style ("llama")
  embedding        64
  layers           2
  attention heads  4 (head size 16), key/value heads 2 (grouped-query attention)
  feed-forward     128 (SwiGLU)
  rope dimension   16, base 10000
  context length   512 (trained), RMS-norm epsilon 1e-5
  output           its own output.weight (not tied to the embeddings)

Tokenizer: <unk> (0), <s> (1, bos), </s> (2, eos), the 256 byte tokens <0x00>..<0xFF>
(byte fallback, so any UTF-8 text tokenizes), then printable ASCII characters, "▁"
(space) and a few short English words with every prefix, so words merge.
A bos token is added to prompts; no eos is added.

Generation is shaped so that tests can rely on it: every embedding carries a large
constant in dimension 0 and every layer is small, so after the final norm dimension 0
is large and positive; in output.weight that dimension is 0 for word pieces and -10
for every control and byte token. So the model only ever produces word pieces: it never
ends a reply by itself (finish_reason is "length" when max_tokens is reached) and its
text is printable ASCII, one piece per token.

Chat template (tokenizer.chat_template, plain text, no special tokens):
  <|system|>\\n...\\n<|user|>\\n...\\n<|assistant|>\\n
"""

import sys

import numpy as np
import gguf

SEED = 20240607
N_EMBD = 64
N_LAYER = 2
N_HEAD = 4
N_HEAD_KV = 2
HEAD_DIM = N_EMBD // N_HEAD
N_FF = 128
N_CTX_TRAIN = 512
RMS_EPS = 1e-5
ROPE_BASE = 10000.0

WORDS = (
    "the a an and or of to in on is it be as at by for with from this that "
    "hello world test duo work station model engine token reply chat answer "
    "yes no ok one two three red green blue"
).split()

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def vocabulary():
    """Returns (pieces, scores, types) of a small SentencePiece vocabulary."""
    T = gguf.TokenType
    pieces = ["<unk>", "<s>", "</s>"]
    types = [T.UNKNOWN, T.CONTROL, T.CONTROL]
    for b in range(256):
        pieces.append(f"<0x{b:02X}>")
        types.append(T.BYTE)
    normal = ["\u2581"] + [chr(c) for c in range(0x21, 0x7F)]
    seen = set(normal)
    for word in WORDS:
        w = "\u2581" + word
        for end in range(2, len(w) + 1):
            if w[:end] not in seen:
                seen.add(w[:end])
                normal.append(w[:end])
    pieces += normal
    types += [T.NORMAL] * len(normal)
    # SentencePiece merges the pair whose result scores highest: prefer longer pieces.
    scores = [0.0] * len(pieces)
    for i, piece in enumerate(pieces):
        if types[i] == T.NORMAL:
            scores[i] = float(len(piece)) - i * 1e-4
    return pieces, scores, types


def build(path):
    rng = np.random.default_rng(SEED)
    pieces, scores, types = vocabulary()
    n_vocab = len(pieces)

    w = gguf.GGUFWriter(path, "llama")
    w.add_name("duo-tiny-test")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_vocab_size(n_vocab)
    w.add_context_length(N_CTX_TRAIN)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_rope_dimension_count(HEAD_DIM)
    w.add_rope_freq_base(ROPE_BASE)
    w.add_layer_norm_rms_eps(RMS_EPS)

    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(pieces)
    w.add_token_scores(scores)
    w.add_token_types([int(t) for t in types])
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    w.add_chat_template(CHAT_TEMPLATE)

    def rand(*shape, std=0.02):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    # numpy shapes are (rows, columns) = ggml's (ne1, ne0), the reverse of ggml's order.
    embd = rand(n_vocab, N_EMBD)
    embd[:, 0] = 1.0
    w.add_tensor("token_embd.weight", embd)
    n_kv = N_HEAD_KV * HEAD_DIM
    for i in range(N_LAYER):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(p + "attn_k.weight", rand(n_kv, N_EMBD))
        w.add_tensor(p + "attn_v.weight", rand(n_kv, N_EMBD))
        w.add_tensor(p + "attn_output.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(p + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", rand(N_FF, N_EMBD))
        w.add_tensor(p + "ffn_up.weight", rand(N_FF, N_EMBD))
        w.add_tensor(p + "ffn_down.weight", rand(N_EMBD, N_FF))
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    out = rand(n_vocab, N_EMBD, std=1.0)
    normal = np.array([t == gguf.TokenType.NORMAL for t in types])
    out[:, 0] = np.where(normal, 0.0, -10.0)
    w.add_tensor("output.weight", out)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return n_vocab


def main():
    if len(sys.argv) != 2:
        print("usage: make_tiny_gguf.py OUT.gguf", file=sys.stderr)
        return 2
    n_vocab = build(sys.argv[1])
    print(f"wrote {sys.argv[1]} ({n_vocab} tokens)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
