"""search and the index tools (find_symbol, find_references, outline, repo_map) on real repos."""

from __future__ import annotations

from tests.test_tools_helpers import call, make_ctx, make_repo, write

SHOP = {
    ".gitignore": "build/\n",
    "shop/cart.py": (
        "from shop.prices import price_of\n\n\n"
        "class Cart:\n"
        "    def __init__(self):\n        self.items = []\n\n"
        "    def total(self):\n        return sum(price_of(i) for i in self.items)\n"
    ),
    "shop/prices.py": "PRICES = {'apple': 3}\n\n\ndef price_of(item):\n    return PRICES[item]\n",
    "tests/test_cart.py": (
        "from shop.cart import Cart\n\n\ndef test_empty():\n    assert Cart().total() == 0\n"
    ),
    "README.md": "Call price_of(item) to get a Price.\n",
}


def test_search_regex_literal_case_and_globs(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, SHOP))
    regex = call(ctx, "search", pattern=r"def \w+\(self").content
    assert regex.splitlines() == [
        "2 matches in 1 files",
        "shop/cart.py:5:     def __init__(self):",
        "shop/cart.py:8:     def total(self):",
    ]
    literal = call(ctx, "search", pattern="price_of(item)", literal=True).content
    assert "README.md:1: Call price_of(item) to get a Price." in literal
    assert "shop/prices.py:4: def price_of(item):" in literal
    assert "2 matches" in literal
    insensitive = call(ctx, "search", pattern="PRICE", case_sensitive=False, glob="*.md").content
    assert insensitive.splitlines() == [
        "1 matches in 1 files",
        "README.md:1: Call price_of(item) to get a Price.",
    ]
    under = call(ctx, "search", pattern="Cart", path="tests").content
    assert under.splitlines()[0] == "2 matches in 1 files"
    assert call(ctx, "search", pattern="nothing-like-this").content == "No matches."
    assert "'lib' does not exist" in call(ctx, "search", pattern="x", path="lib").content


def test_search_skips_ignored_and_binary_files_but_sees_untracked_ones(tmp_path):
    root = make_repo(tmp_path, SHOP)
    write(
        root,
        {
            "build/gen.py": "price_of = None\n",
            "shop/new.py": "price_of = 1\n",
            "shop/blob.bin": b"price_of\0\0binary",
        },
    )
    ctx = make_ctx(root)
    text = call(ctx, "search", pattern="price_of").content
    assert "shop/new.py:1:" in text
    assert "build/gen.py" not in text and "blob.bin" not in text


def test_search_caps_output_with_counts_per_file(tmp_path):
    many = {f"m{i}.py": "".join(f"hit = {j}\n" for j in range(10 * (i + 1))) for i in range(3)}
    ctx = make_ctx(make_repo(tmp_path, many))
    text = call(ctx, "search", pattern="^hit", limit=5).content
    lines = text.splitlines()
    assert lines[0] == "60 matches in 3 files; showing the first 5"
    assert len([line for line in lines if line.startswith("m")]) == 5
    assert (
        "[... 55 more matches not shown. Matches per file: m2.py (30), m1.py (20), m0.py (10)."
        in text
    )


def test_search_reports_a_bad_regex(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, SHOP))
    result = call(ctx, "search", pattern="price_of(")
    assert result.is_error and "bad regular expression" in result.content
    assert "literal=true" in result.content


def test_index_tools_find_definitions_references_and_outline(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, SHOP))
    symbol = call(ctx, "find_symbol", name="Cart.total").content
    assert "shop/cart.py:8-9: method Cart.total" in symbol and "def total(self):" in symbol
    assert "lines 8-9 of 9" in symbol  # a short definition comes with its body
    assert "return sum(price_of(i) for i in self.items)" in symbol
    assert "No definition of 'Nope'" in call(ctx, "find_symbol", name="Nope").content
    refs = call(ctx, "find_references", name="price_of").content
    assert "shop/cart.py:1: import" in refs and "shop/cart.py:9: call" in refs
    outline = call(ctx, "outline", path="shop/cart.py").content
    assert outline.splitlines() == [
        "shop/cart.py:",
        "4-9: class Cart:",
        "  5-6: def __init__(self):",
        "  8-9: def total(self):",
    ]
    repo_map = call(ctx, "repo_map", tokens=256).content
    assert "shop/cart.py" in repo_map and "Cart" in repo_map


def test_index_follows_edits_made_by_tools(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, SHOP))
    assert "No definition" in call(ctx, "find_symbol", name="discount").content
    edit = call(
        ctx,
        "edit_file",
        path="shop/prices.py",
        old="def price_of(item):",
        new="def discount(item):\n    return 0\n\n\ndef price_of(item):",
    )
    assert not edit.is_error, edit.content
    assert (
        "shop/prices.py:4-5: function discount" in call(ctx, "find_symbol", name="discount").content
    )


def test_search_shows_lines_around_each_match_when_asked(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, SHOP))
    text = call(ctx, "search", pattern="def ", context=1, path="shop").content
    assert text.splitlines() == [
        "3 matches in 2 files",
        "shop/cart.py-4- class Cart:",
        "shop/cart.py:5:     def __init__(self):",
        "shop/cart.py-6-         self.items = []",
        "shop/cart.py-7- ",
        "shop/cart.py:8:     def total(self):",
        "shop/cart.py-9-         return sum(price_of(i) for i in self.items)",
        "--",
        "shop/prices.py-3- ",
        "shop/prices.py:4: def price_of(item):",
        "shop/prices.py-5-     return PRICES[item]",
    ]


LONG = {
    "calc.py": (
        "def afterpoint(text):\n"  # 1
        + "".join(f"    step{i} = {i}\n" for i in range(1, 11))  # 2-11
        + "    return step10\n"  # 12
        "\n\n"
        "class Table:\n"  # 15
        "    WIDTH = 3\n"  # 16
        "    MARK = 'wide'\n"  # 17
        + "".join(f"    COL{i} = {i}\n" for i in range(1, 7))  # 18-23
        + "\n"
        "    def render(self):\n"  # 25
        "        def cell(value):\n"  # 26
        "            mark = 'cell'\n"  # 27
        + "".join(f"            value += {i}\n" for i in range(1, 6))  # 28-32
        + "            return value\n"  # 33
        "        return cell(self.WIDTH)\n"  # 34
    ),
    "notes.txt": "".join(f"mark line {i}\n" for i in range(1, 12)),
}


def _notes(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("…")]


def test_search_context_that_stops_inside_a_function_says_where_it_ends(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, LONG))
    text = call(ctx, "search", pattern="step3 =", context=2).content
    assert text.splitlines() == [
        "1 matches in 1 files",
        "calc.py-2-     step1 = 1",
        "calc.py-3-     step2 = 2",
        "calc.py:4:     step3 = 3",
        "calc.py-5-     step4 = 4",
        "calc.py-6-     step5 = 5",
        "… afterpoint continues to line 12",
    ]
    # The second group reaches the function's last line: no note after it.
    both = call(ctx, "search", pattern="step[39] =", context=2).content.splitlines()
    assert both[5:9] == [
        "calc.py-6-     step5 = 5",
        "… afterpoint continues to line 12",
        "--",
        "calc.py-8-     step7 = 7",
    ]
    assert both[-1] == "calc.py-12-     return step10" and _notes("\n".join(both)) == [both[6]]
    assert call(ctx, "search", pattern="step3 =").content.splitlines() == [
        "1 matches in 1 files",
        "calc.py:4:     step3 = 3",
    ]


def test_search_names_the_innermost_definition_holding_each_cut_match(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, LONG))
    inner = call(ctx, "search", pattern="mark = 'cell'", context=1).content
    assert _notes(inner) == ["… Table.render.cell continues to line 33"]
    in_class_body = call(ctx, "search", pattern="MARK = ", context=1).content
    assert _notes(in_class_body) == ["… Table continues to line 34"]
    # One search, three groups: each says what it cut, untouched lines say nothing.
    several = call(ctx, "search", pattern="mark", case_sensitive=False, context=1).content
    assert _notes(several) == [
        "… Table continues to line 34",
        "… Table.render.cell continues to line 33",
    ]
    assert "notes.txt:1: mark line 1" in several  # a file no grammar parses: as before


def test_search_context_notes_work_beyond_python(tmp_path):
    source = "package calc\n\nfunc Sum(xs []int) int {\n\ttotal := 0\n"
    source += "".join(f"\ttotal += {i}\n" for i in range(6)) + "\treturn total\n}\n"
    ctx = make_ctx(make_repo(tmp_path, {"calc.go": source}))
    text = call(ctx, "search", pattern="total := 0", context=1).content
    assert _notes(text) == ["… Sum continues to line 12"]
