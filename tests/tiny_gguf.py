"""A tiny llama model with random weights, written as GGUF for tests of a local runtime.

No PyPI package ships a GGUF with weights small enough for the suite, and nothing may be
downloaded from a model hub, so a test that runs llama.cpp's `llama-server` makes its own:
one block, 64 wide, random weights, with the tokenizer of a vocabulary file that llama.cpp's
source ships (`models/ggml-vocab-llama-spm.gguf`), written with the `gguf` package from the
same source (`gguf-py`). Its words are nonsense: what matters is the real local path (the
runtime, its OpenAI-compatible server, streaming) and that the guard judges what comes out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def write_tiny_llama(llama_cpp: Path, out: Path, *, dim: int = 64, ff: int = 128) -> Path:
    """`llama_cpp`: a llama.cpp source tree (its gguf-py and models/); returns `out`."""
    sys.path.insert(0, str(llama_cpp / "gguf-py"))
    import gguf  # from the llama.cpp source: the writer that matches its runtime

    vocab = gguf.GGUFReader(str(llama_cpp / "models" / "ggml-vocab-llama-spm.gguf"))
    tokens = [bytes(vocab.fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8", "replace")
              for i in vocab.fields["tokenizer.ggml.tokens"].data]  # fmt: skip
    scores = [float(vocab.fields["tokenizer.ggml.scores"].parts[i][0])
              for i in vocab.fields["tokenizer.ggml.scores"].data]  # fmt: skip
    types = [int(vocab.fields["tokenizer.ggml.token_type"].parts[i][0])
             for i in vocab.fields["tokenizer.ggml.token_type"].data]  # fmt: skip
    n_vocab, heads = len(tokens), 2
    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name("tiny random llama (tests)")
    writer.add_context_length(512)
    writer.add_embedding_length(dim)
    writer.add_block_count(1)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(dim // heads)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_chat_template(CHATML)
    rng = np.random.default_rng(24)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, dim))
    writer.add_tensor("output_norm.weight", np.ones(dim, np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, dim))
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(dim, np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        writer.add_tensor(f"blk.0.{name}.weight", weight(dim, dim))
    writer.add_tensor("blk.0.ffn_norm.weight", np.ones(dim, np.float32))
    writer.add_tensor("blk.0.ffn_gate.weight", weight(ff, dim))
    writer.add_tensor("blk.0.ffn_up.weight", weight(ff, dim))
    writer.add_tensor("blk.0.ffn_down.weight", weight(dim, ff))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
