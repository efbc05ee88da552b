#include <vramplan/base/error.hpp>
#include <vramplan/model/catalog.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

const char* k_model = R"(name: test-7b
display_name: Test 7B
architecture: qwen2
layers: 28
embedding: 3584
heads: 28
kv_heads: 4
ffn: 18944
vocab: 152064
context_train: 32768
attention_bias: true
files:
  - file: Test-7B-Q4_K_M.gguf
    quant: Q4_K_M
    size_bytes: 4683074048
    publisher: someone
)";

std::string error_of(const std::string& yaml) {
    try {
        (void)parse_catalog_model(yaml, "models/t.yaml");
        return "";
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::data);
        return e.what();
    }
}

Catalog small_catalog() {
    return Catalog::from_models({parse_catalog_model(k_model, "t.yaml")},
                                {{"chat", "7b", "test-7b"}});
}

} // namespace

TEST_CASE("a catalog entry parses") {
    const CatalogModel m = parse_catalog_model(k_model, "t.yaml");
    CHECK(m.name == "test-7b");
    CHECK(m.arch.n_layer == 28);
    CHECK(m.arch.attention_bias);
    CHECK_FALSE(m.arch.tied_output);
    REQUIRE(m.files.size() == 1);
    CHECK(m.files[0].quant == FileType::q4_k_m);
    CHECK(m.files[0].size_bytes == 4683074048ULL);
}

TEST_CASE("bad catalog YAML gives file:line:column and the key") {
    std::string y = k_model;
    CHECK(error_of(y.replace(y.find("layers: 28"), 10, "layers: x8")) ==
          "models/t.yaml:4:9: 'layers': expected a whole number from 1 to 512, found 'x8'");
    y = k_model;
    CHECK(error_of(y.replace(y.find("quant: Q4_K_M"), 13, "quant: Q9_K")) ==
          "models/t.yaml:14:12: unknown quantization 'Q9_K'");
    y = k_model;
    CHECK(error_of(y + "layerz: 3\n").find("models/t.yaml:17:1: unknown key 'layerz'") == 0);
    y = k_model;
    CHECK(error_of(y.replace(y.find("vocab: 152064\n"), 14, ""))
              .find("missing required key 'vocab'") != std::string::npos);
    CHECK(error_of("name: [unclosed\n").find("models/t.yaml:") == 0);
    CHECK(error_of("- a list\n").find("expected a mapping") != std::string::npos);
    y = k_model;
    CHECK(error_of(y.replace(y.find("heads: 28"), 9, "heads: 0")).find("from 1 to") !=
          std::string::npos);
    y = k_model;
    CHECK(error_of(y.replace(y.find("kv_heads: 4"), 11, "kv_heads: 5"))
              .find("multiple of kv_heads") != std::string::npos);
}

TEST_CASE("resolve: role alias, name, published file name, renamed file") {
    const Catalog c = small_catalog();
    CHECK(c.resolve("7b", "chat").model->name == "test-7b");
    CHECK(c.resolve("TEST-7B").model->name == "test-7b");
    const ModelMatch exact = c.resolve("Test-7B-Q4_K_M.gguf");
    CHECK(exact.file != nullptr);
    CHECK(exact.quant == FileType::q4_k_m);
    const ModelMatch renamed = c.resolve("/models/test-7b-q8_0.gguf");
    CHECK(renamed.model->name == "test-7b");
    CHECK(renamed.quant == FileType::q8_0);
    CHECK(renamed.file == nullptr);
    CHECK(c.resolve_argument("chat:7b").model->name == "test-7b");
    CHECK(c.resolve_argument("test-7b").model->name == "test-7b");
    CHECK_THROWS_AS(c.resolve_argument("code:7b"), Error);
    const ModelMatch prefixed = c.resolve("Vendor-Test-7B.Q5_K_M.gguf");
    CHECK(prefixed.quant == FileType::q5_k_m);
}

TEST_CASE("an unknown model gets the closest names") {
    const Catalog c = small_catalog();
    try {
        (void)c.resolve("test-8b");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "unknown model 'test-8b'");
        CHECK(e.hint().find("did you mean 'test-7b'?") == 0);
    }
    CHECK_THROWS_AS(c.resolve("3b", "code"), Error);
}

TEST_CASE("catalog consistency: duplicate names, file names and dangling roles") {
    const CatalogModel m = parse_catalog_model(k_model, "t.yaml");
    CHECK_THROWS_WITH(Catalog::from_models({m, m}, {}), Catch::Contains("defined twice"));
    CatalogModel other = m;
    other.name = "other";
    CHECK_THROWS_WITH(Catalog::from_models({m, other}, {}), Catch::Contains("also listed"));
    CHECK_THROWS_WITH(Catalog::from_models({m}, {{"code", "7b", "missing"}}),
                      Catch::Contains("unknown model 'missing'"));
}
