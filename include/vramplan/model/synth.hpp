#pragma once
// Synthesizing a model from catalog numbers: the tensors llama-quantize would write for a file
// type, in its write order and with its offsets, and a GGUF header that describes them.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gguf_writer.hpp>
#include <vramplan/model/model.hpp>

namespace vramplan {

// The order tensors are written in, which decides mmap spans (docs/memory-model.md, weights).
enum class TensorOrder {
    by_file_type,   // llama-quantize's for quantized types, the converter's for F16/BF16/F32
    llama_quantize, // by layer, then by name (what llama-quantize writes)
    converter,      // extra tensors, token_embd, the blocks, output_norm, output
};

// The ModelSpec of `model` quantized as `ft`. Tensor offsets are those of a file with GGUF's
// default alignment (32); files[0] has data_offset 0 because no header exists yet
// (synthesized_gguf makes one).
ModelSpec synthesize_model(const CatalogModel& model, FileType ft,
                           const RecipeOptions& options = {},
                           TensorOrder order = TensorOrder::by_file_type);

// A GGUF writer holding metadata (architecture numbers and a minimal tokenizer that llama.cpp
// accepts) and the tensor table of `spec`, which must come from synthesize_model(model, ...).
GgufWriter synthesized_gguf(const CatalogModel& model, const ModelSpec& spec);

} // namespace vramplan
