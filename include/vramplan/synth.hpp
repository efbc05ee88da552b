#pragma once
// Synthesizing a model from catalog numbers: the tensors llama-quantize would write for a file
// type, in its write order and with its offsets, and a GGUF header that describes them.

#include <vramplan/catalog.hpp>
#include <vramplan/gguf_writer.hpp>
#include <vramplan/model.hpp>

namespace vramplan {

// The ModelSpec of `model` quantized as `ft`. Tensor offsets are those of a file written by
// llama-quantize (GGUF default alignment 32); files[0] has data_offset 0 because no header
// exists yet (synthesized_gguf makes one).
ModelSpec synthesize_model(const CatalogModel& model, FileType ft,
                           const RecipeOptions& options = {});

// A GGUF writer holding metadata (architecture numbers and a minimal tokenizer that llama.cpp
// accepts) and the tensor table of `spec`, which must come from synthesize_model(model, ...).
GgufWriter synthesized_gguf(const CatalogModel& model, const ModelSpec& spec);

} // namespace vramplan
