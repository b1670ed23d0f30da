using Elastic.Inference.Chat;

namespace Elastic.Inference.Tests.Chat;

public sealed class JinjaInterpreterTests
{
    private static string Render(string source, IReadOnlyDictionary<string, object?>? vars = null) =>
        ChatTemplate.Parse(source).RenderVariables(vars ?? new Dictionary<string, object?>());

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value);

    [Theory]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("a\n  {%- if true -%}\n  b  {%- endif -%}  \nc", "abc")]
    [InlineData("x {#- comment -#} y", "xy")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}", "a\nb")]
    public void Render_WhitespaceMarkers_StripAdjacentWhitespace(string source, string expected) =>
        Assert.Equal(expected, Render(source));

    [Fact]
    public void Render_TrimAndLstripBlocks_RemoveTagOnlyLines()
    {
        const string source = "<ul>\n    {% for x in [1, 2] %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>\n";
        Assert.Equal("<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>", Render(source));
    }

    [Fact]
    public void Render_PlusMarker_KeepsIndentation() =>
        Assert.Equal("  x", Render("  {%+ if true %}x{% endif %}"));

    [Fact]
    public void Render_LoopVariables_MatchJinja()
    {
        const string source = "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.length }}"
            + "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %};{% endfor %}";
        Assert.Equal("1033F;2123;3213L;", Render(source));
    }

    [Fact]
    public void Render_ForWithFilterAndElse_CountsKeptItemsOnly()
    {
        Assert.Equal("1:b 2:d ", Render("{% for x in ['a','b','c','d'] if x in 'bd' %}{{ loop.index }}:{{ x }} {% endfor %}"));
        Assert.Equal("empty", Render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"));
        Assert.Equal("empty", Render("{% for x in missing %}{{ x }}{% else %}empty{% endfor %}"));
    }

    [Fact]
    public void Render_BreakAndContinue_ControlTheLoop() =>
        Assert.Equal("13", Render("{% for x in range(10) %}{% if x == 4 %}{% break %}{% endif %}{% if x % 2 == 0 %}{% continue %}{% endif %}{{ x }}{% endfor %}"));

    [Fact]
    public void Render_SetInsideLoop_DoesNotLeakButNamespaceDoes()
    {
        const string source = "{% set total = 0 %}{% set ns = namespace(total=0) %}"
            + "{% for x in [1, 2, 3] %}{% set total = total + x %}{% set ns.total = ns.total + x %}{% endfor %}"
            + "{{ total }} {{ ns.total }}";
        Assert.Equal("0 6", Render(source));
    }

    [Fact]
    public void Render_SetInsideIf_IsVisibleAfterwards() =>
        Assert.Equal("yes", Render("{% if true %}{% set v = 'yes' %}{% endif %}{{ v }}"));

    [Theory]
    [InlineData("{{ '  pad  ' | trim }}", "pad")]
    [InlineData("{{ [1, 2, 3] | length }}{{ 'abcd' | length }}", "34")]
    [InlineData("{{ 'Ab' | upper }}{{ 'Ab' | lower }}", "ABab")]
    [InlineData("{{ missing | default('dflt') }}|{{ '' | default('e', true) }}|{{ none | default('x') }}", "dflt|e|None")]
    [InlineData("{{ ['a', 'b'] | join(', ') }}", "a, b")]
    [InlineData("{{ 'aXbX' | replace('X', '-') }}", "a-b-")]
    [InlineData("{{ [4, 5] | first }}{{ [4, 5] | last }}", "45")]
    [InlineData("{{ 'ab' | list }}", "['a', 'b']")]
    [InlineData("{% for k, v in {'k': 1} | items %}{{ k }}{{ v }}{% endfor %}", "k1")]
    [InlineData("{{ none | string }} {{ true }} {{ 3 | string }}", "None True 3")]
    [InlineData("{{ [{'n': 'a', 'ok': true}, {'n': 'b', 'ok': false}] | selectattr('ok') | map(attribute='n') | join }}", "a")]
    [InlineData("{{ [{'n': 'a', 'ok': true}, {'n': 'b', 'ok': false}] | rejectattr('ok') | map(attribute='n') | join }}", "b")]
    [InlineData("{{ [{'r': 'user'}, {'r': 'tool'}] | selectattr('r', 'equalto', 'user') | list | length }}", "1")]
    public void Render_Filters_BehaveLikeJinja(string source, string expected) =>
        Assert.Equal(expected, Render(source));

    [Fact]
    public void Render_ToJson_MatchesPythonJsonDumps()
    {
        Assert.Equal("{\"a\": [1, 2.5, true, null], \"b\": \"é\\n\\\"\"}", Render("{{ {'a': [1, 2.5, true, none], 'b': 'é\\n\"'} | tojson }}"));
        Assert.Equal("{\n  \"a\": [\n    1\n  ]\n}", Render("{{ {'a': [1]} | tojson(indent=2) }}"));
    }

    [Fact]
    public void Render_Undefined_IsFalsyEmptyAndNotDefined()
    {
        Assert.Equal("[]", Render("[{{ nothing }}]"));
        Assert.Equal("no", Render("{% if nothing %}yes{% else %}no{% endif %}"));
        Assert.Equal("False True", Render("{{ nothing is defined }} {{ nothing is undefined }}"));
        Assert.Equal("missing", Render("{% if d.nokey is not defined %}missing{% endif %}", Vars(("d", new Dictionary<string, object?>()))));
    }

    [Fact]
    public void Render_UndefinedInArithmeticOrAttributeAccess_Throws()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => Render("{{ 'a' + nothing }}"));
        Assert.Equal(ChatTemplateErrorKind.Render, ex.Kind);
        Assert.Contains("'nothing' is undefined", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ChatTemplateException>(() => Render("{{ nothing.attr }}"));
    }

    [Theory]
    [InlineData("{{ [1, 2, 3][::-1] }}", "[3, 2, 1]")]
    [InlineData("{{ [1, 2, 3][1:] }}{{ [1, 2, 3][:-1] }}", "[2, 3][1, 2]")]
    [InlineData("{{ [1, 2, 3][-1] }}{{ [1, 2, 3][5] }}", "3")]
    [InlineData("{{ 'hello'[1:3] }}{{ 'hello'[::-1] }}{{ 'hello'[-1] }}", "elolleho")]
    [InlineData("{{ [0, 1, 2, 3, 4, 5][::2] }}{{ [0, 1, 2, 3][-2:] }}", "[0, 2, 4][2, 3]")]
    public void Render_IndexAndSlice_FollowPython(string source, string expected) =>
        Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 3 }}", "3 -4 2 3.5 2.0 8")]
    [InlineData("{{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1] + [2] }}", "a1None abab [1, 2]")]
    [InlineData("{{ 'yes' if 1 < 2 < 3 else 'no' }} {{ 'x' if false }}|", "yes |")]
    [InlineData("{{ 'b' in 'abc' }} {{ 2 not in [1, 2] }} {{ 'k' in {'k': 1} }}", "True False True")]
    [InlineData("{{ 1 == 1.0 }} {{ true and 'v' }} {{ 0 or 'w' }} {{ not none }}", "True v w True")]
    [InlineData("{{ 'a\\tb\\u00e9\\x41' }}", "a\tbéA")]
    public void Render_Operators_FollowPython(string source, string expected) =>
        Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ '<tool>x'.startswith('<tool>') }} {{ 'x.py'.endswith(('.cs', '.py')) }}", "True True")]
    [InlineData("{{ 'a</think>b'.split('</think>')[-1] }} {{ ' a  b '.split() }}", "b ['a', 'b']")]
    [InlineData("{{ '\\n\\nx\\n'.strip('\\n') }}|{{ '  x '.lstrip() }}|{{ 'x--'.rstrip('-') }}", "x|x |x")]
    [InlineData("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b', 'd') }} {{ {'a': 1}.keys() | list }}", "1 d ['a']")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    public void Render_Methods_OnStringsAndDicts(string source, string expected) =>
        Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ 'x' is string }} {{ 1 is number }} {{ {} is mapping }} {{ [] is iterable }} {{ [] is sequence }}", "True True True True True")]
    [InlineData("{{ none is none }} {{ 3 is odd }} {{ 4 is divisibleby 2 }} {{ 'a' is equalto 'a' }} {{ 1 is not string }}", "True True True True True")]
    public void Render_Tests_BehaveLikeJinja(string source, string expected) =>
        Assert.Equal(expected, Render(source));

    [Fact]
    public void Render_Macro_RendersWithDefaults() =>
        Assert.Equal("<a>x</a><b>y</b>", Render("{% macro tag(name, body='x') %}<{{ name }}>{{ body }}</{{ name }}>{% endmacro %}{{ tag('a') }}{{ tag('b', body='y') }}"));

    [Fact]
    public void Render_SetBlockAndFilterBlock_CaptureOutput() =>
        Assert.Equal("HI|hi", Render("{% set s %}hi{% endset %}{% filter upper %}{{ s }}{% endfilter %}|{{ s }}"));

    [Fact]
    public void Render_RawBlock_IsLiteral() =>
        Assert.Equal("{{ not evaluated }}", Render("{% raw %}{{ not evaluated }}{% endraw %}"));

    [Fact]
    public void Render_OneTrailingNewline_IsDropped() =>
        Assert.Equal("x\n", Render("x\n\n"));

    [Fact]
    public void Parse_SyntaxError_NamesLineAndColumn()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}"));
        Assert.Equal(ChatTemplateErrorKind.Syntax, ex.Kind);
        Assert.Equal(3, ex.Line);
        Assert.Equal(10, ex.Column);
        Assert.Contains("line 3, column 10", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% if x %}never closed")]
    [InlineData("{{ x | nosuchfilter }}")]
    [InlineData("{{ x is nosuchtest }}")]
    [InlineData("{% include 'other.jinja' %}")]
    [InlineData("{{ 'unterminated }}")]
    public void Parse_InvalidTemplates_Throw(string source) =>
        Assert.Equal(ChatTemplateErrorKind.Syntax, Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source)).Kind);

    [Fact]
    public void Render_RaiseException_SurfacesTheTemplatesMessage()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => Render("ok\n{% if true %}{{ raise_exception('Roles must alternate!') }}{% endif %}"));
        Assert.Equal(ChatTemplateErrorKind.Raised, ex.Kind);
        Assert.Equal("Roles must alternate!", ex.TemplateMessage);
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void Render_ClrValues_AreConvertedLikeJson()
    {
        var vars = Vars(
            ("items", new List<object?> { 1, 2.5, "s", null }),
            ("obj", new Dictionary<string, object?> { ["n"] = new[] { "a", "b" } }),
            ("node", System.Text.Json.Nodes.JsonNode.Parse("{\"k\": [1, {\"x\": false}]}")));
        Assert.Equal("[1, 2.5, 's', None] ['a', 'b'] {\"k\": [1, {\"x\": false}]}", Render("{{ items }} {{ obj.n }} {{ node | tojson }}", vars));
    }
}
