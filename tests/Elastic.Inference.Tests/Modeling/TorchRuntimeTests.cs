using System.Runtime.InteropServices;
using Elastic.Inference.Modeling;
using TorchSharp;

namespace Elastic.Inference.Tests.Modeling;

[Trait("Category", "Unit")]
public sealed class TorchRuntimeTests
{
    [Fact]
    public void TensorOp_OnThisMachine_RunsWithoutManualSteps()
    {
        // Fails with TypeInitializationException on Debian 12 unless the build patched libLibTorchSharp.so.
        TorchRuntime.EnsureConfigured();
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = torch.ones(3, 2);
        using var product = torch.matmul(a, b);

        Assert.Equal([3f, 3f, 12f, 12f], product.data<float>().ToArray());
        Assert.True(TorchRuntime.Threads > 0);
    }

    [Fact]
    public void Configure_MakesOpenMpWaitPassivelyAfterAShortSpin_UnlessTheOperatorChose()
    {
        var policy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        var spin = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        TorchRuntime.EnsureConfigured();

        // libgomp reads the native environment when it loads: .NET's own copy would not reach it.
        Assert.Equal(policy ?? "PASSIVE", NativeEnvironment("OMP_WAIT_POLICY"));
        Assert.Equal(policy is null ? spin ?? TorchRuntime.OpenMpSpinCount : spin, NativeEnvironment("GOMP_SPINCOUNT"));
    }

    private static string? NativeEnvironment(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern nint GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
