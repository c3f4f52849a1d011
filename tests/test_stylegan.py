"Fast CPU tests of latent_explain.stylegan: shapes, latent spaces, truncation, mixing, save/load, gradients, seeds"
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import json
import pytest
import torch
import torch.nn.functional as F
from latent_explain.data import ModelError, DataError
from latent_explain.stylegan import GANConfig, gan_preset, Generator, save_generator, load_generator, cmd_generate
from latent_explain.discriminator import Discriminator, minibatch_std


def make_G(channels=3, preset='tiny', seed=0, train_noise=True):
    torch.manual_seed(seed)
    G = Generator(gan_preset(preset, img_channels=channels))
    if train_noise:   # a fresh generator has zero noise strength; give the noise an effect so the tests can see it
        with torch.no_grad():
            for n, p in G.named_parameters():
                if n.endswith('noise_strength'): p.fill_(0.3)
    return G


@pytest.mark.parametrize('channels', [1, 3])
@pytest.mark.parametrize('preset,res', [('tiny', 16), ('tiny32', 32)])
def test_shapes_and_finite(channels, preset, res):
    G, D = make_G(channels, preset), Discriminator(gan_preset(preset, img_channels=channels))
    z = torch.randn(3, G.z_dim)
    ws = G.mapping(z)
    assert ws.shape == (3, G.num_ws, G.w_dim) and G.num_ws == 2 * {16: 4, 32: 5}[res] - 2
    img = G.synthesis(ws)
    assert img.shape == (3, channels, res, res) and img.dtype == torch.float32 and img.is_contiguous()
    assert torch.isfinite(img).all() and 0.05 < img.std() < 5
    logits = D(img)
    assert logits.shape == (3, 1) and torch.isfinite(logits).all()
    assert [s.shape[1] for s in G.styles_from_ws(ws)] == G.style_dims
    assert len(G.layer_names) == 3 * (G.num_ws // 2) - 1


def test_config_json_roundtrip():
    cfg = gan_preset('reference64', img_channels=1)
    d = json.loads(json.dumps(cfg.to_dict()))
    assert set(d['channels']) == {'4', '8', '16', '32', '64'}             # JSON made the keys strings
    back = GANConfig.from_dict({**d, 'latent_explain_version': '0.0.1', 'kimg': 12})   # extra keys are ignored
    assert back == cfg and all(isinstance(k, int) for k in back.channels)
    assert (cfg.res, cfg.z_dim, cfg.w_dim, cfg.mapping_layers) == (64, 256, 256, 2)
    assert cfg.channels == {4: 256, 8: 256, 16: 256, 32: 256, 64: 128}
    with pytest.raises(ModelError, match='power of two'): GANConfig(res=40)
    with pytest.raises(ModelError, match='unknown preset'): gan_preset('huge')
    for r in (16, 32, 64, 128, 256, 512): assert gan_preset(r).res == r


def test_w_wplus_stylespace_agree():
    G = make_G()
    z = torch.randn(4, G.z_dim)
    w = G.mapping(z)[:, 0]                                            # W: N×w_dim
    img_w = G.synthesis(w, noise_mode='const')
    img_wp = G.synthesis(w.unsqueeze(1).repeat(1, G.num_ws, 1), noise_mode='const')   # W+
    img_s = G.synthesis_from_styles(G.styles_from_ws(w), noise_mode='const')          # StyleSpace
    assert torch.equal(img_w, img_wp) and torch.equal(img_w, img_s)
    # const noise is part of the image; random noise differs between calls, none removes it
    assert not torch.equal(G.synthesis(w, noise_mode='random'), G.synthesis(w, noise_mode='random'))
    assert not torch.allclose(G.synthesis(w, noise_mode='none'), img_w)
    # editing one style channel changes the image (StyleSpace is really addressable)
    styles = G.styles_from_ws(w)
    styles[3] = styles[3].clone(); styles[3][:, 0] += 5
    assert not torch.allclose(G.synthesis_from_styles(styles), img_s)
    with pytest.raises(DataError, match='ws must be'): G.synthesis(torch.randn(2, 3, G.w_dim))


def test_truncation_psi0_gives_w_avg_image():
    G = make_G()
    with torch.no_grad():
        G.mapping(torch.randn(256, G.z_dim), update_w_avg=True, w_avg_beta=0.0)
        assert G.w_avg.abs().sum() > 0
        before = G.w_avg.clone()
        G.mapping(torch.randn(8, G.z_dim), update_w_avg=True, w_avg_beta=0.9)   # EMA step moves it a little
        assert 0 < (G.w_avg - before).abs().max() < (G.w_avg).abs().max()
        G.mapping(torch.randn(8, G.z_dim))                                       # no update unless asked
        imgs = G(torch.randn(3, G.z_dim), truncation_psi=0, noise_mode='const')
        ref = G.synthesis(G.w_avg[None], noise_mode='const')
        assert torch.allclose(imgs, ref.expand_as(imgs), atol=1e-5)
        ws = G.mapping(torch.randn(2, G.z_dim), truncation_psi=0.0, truncation_cutoff=2)
        assert torch.allclose(ws[:, :2], G.w_avg.expand(2, 2, -1), atol=1e-6)
        assert not torch.allclose(ws[:, 2:], G.w_avg.expand(2, G.num_ws - 2, -1))


def test_style_mixing_crossover():
    G = make_G()
    z1, z2 = torch.randn(2, G.z_dim), torch.randn(2, G.z_dim)
    w1, w2 = G.mapping(z1), G.mapping(z2)
    for k in (0, 3, G.num_ws):
        ws = G.style_mix(z1, z2, k)
        assert torch.equal(ws[:, :k], w1[:, :k]) and torch.equal(ws[:, k:], w2[:, k:])
    mixed = G.synthesis(G.style_mix(z1, z2, 3), noise_mode='const')
    assert not torch.allclose(mixed, G.synthesis(w1, noise_mode='const'))
    assert not torch.allclose(mixed, G.synthesis(w2, noise_mode='const'))
    with pytest.raises(DataError): G.style_mix(z1, z2, G.num_ws + 1)


def test_save_load_roundtrip(tmp_path):
    G = make_G(channels=1)
    with torch.no_grad(): G.mapping(torch.randn(32, G.z_dim), update_w_avg=True, w_avg_beta=0.0)
    save_generator(G, tmp_path / 'gan')
    assert sorted(p.name for p in (tmp_path / 'gan').iterdir()) == ['config.json', 'generator.safetensors']
    G2 = load_generator(tmp_path / 'gan')
    assert G2.cfg == G.cfg and not G2.training and not any(p.requires_grad for p in G2.parameters())
    z = torch.randn(3, G.z_dim)
    assert torch.equal(G(z, noise_mode='const'), G2(z, noise_mode='const'))
    assert torch.equal(G(z, truncation_psi=0.5, noise_mode='const'), G2(z, truncation_psi=0.5, noise_mode='const'))


def test_per_channel_noise_roundtrip_and_old_configs(tmp_path):
    "noise_per_channel survives save/load with its C-vector strengths; a config.json without the key loads per layer"
    import dataclasses
    torch.manual_seed(0)
    G = Generator(dataclasses.replace(gan_preset('tiny'), noise_per_channel=True))
    with torch.no_grad():
        for n, p in G.named_parameters():
            if n.endswith('noise_strength'): p.copy_(torch.linspace(0, 0.5, p.numel()))
    assert all(p.ndim == 1 for n, p in G.named_parameters() if n.endswith('noise_strength'))
    save_generator(G, tmp_path / 'pc')
    G2 = load_generator(tmp_path / 'pc')
    z = torch.randn(2, G.z_dim)
    assert G2.cfg.noise_per_channel and torch.equal(G(z, noise_mode='const'), G2(z, noise_mode='const'))
    save_generator(make_G(), tmp_path / 'old')
    cfg = json.loads((tmp_path / 'old' / 'config.json').read_text()); del cfg['noise_per_channel']
    (tmp_path / 'old' / 'config.json').write_text(json.dumps(cfg))   # as written before the option existed
    assert not load_generator(tmp_path / 'old').cfg.noise_per_channel


def test_new_defaults_old_configs_and_resume(tmp_path):
    "New generators: replicated skip padding and a tanh output; configs written before either existed load and resume as trained"
    from latent_explain.gan_run import read_config
    for name in ('histology64', 'ihc64', 'knee64'):                 # bundled: today's defaults, noise at 64 px only
        bundled = load_generator(name).cfg
        assert (bundled.skip_pad, bundled.output_act, bundled.noise_from) == ('replicate', 'tanh', 64), name
    torch.manual_seed(0)
    G = make_G()
    assert (G.cfg.skip_pad, G.cfg.output_act) == ('replicate', 'tanh')
    save_generator(G, tmp_path / 'g')
    cfg = json.loads((tmp_path / 'g' / 'config.json').read_text()); del cfg['skip_pad'], cfg['output_act']
    (tmp_path / 'g' / 'config.json').write_text(json.dumps(cfg))     # as written before the options existed
    G_old = load_generator(tmp_path / 'g')
    assert (G_old.cfg.skip_pad, G_old.cfg.output_act) == ('zero', 'linear')
    (tmp_path / 'run').mkdir()                                        # the same old config as a training run's
    (tmp_path / 'run' / 'config.json').write_text(json.dumps({**cfg, 'kind': 'gan-run'}))
    assert (read_config(tmp_path / 'run')[0].skip_pad, read_config(tmp_path / 'run')[0].output_act) == ('zero', 'linear')
    ws = G.mapping(torch.randn(3, G.z_dim))
    new, old = G.synthesis(ws, noise_mode='const'), G_old.synthesis(ws, noise_mode='const')
    # inside, the new image is tanh of the old; only a border band differs beyond that: edge rows at 8 px reach
    # 3 rows into the 16-px image (the 4-tap kernel spans -1..+2)
    torch.testing.assert_close(new[..., 3:-3, 3:-3], torch.tanh(old[..., 3:-3, 3:-3]))
    assert (new - torch.tanh(old)).abs()[..., 0, :].mean() > 1e-3


def test_load_errors(tmp_path):
    with pytest.raises(ModelError, match='not found'): load_generator(tmp_path / 'missing')
    G = make_G()
    d = save_generator(G, tmp_path / 'g')
    (d / 'generator.safetensors').write_bytes((d / 'generator.safetensors').read_bytes()[:100])   # truncated file
    with pytest.raises(ModelError, match='corrupt'): load_generator(d)
    save_generator(G, d)
    cfg = json.loads((d / 'config.json').read_text()); cfg['channels']['16'] = 8     # weights from another config
    (d / 'config.json').write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="doesn't match"): load_generator(d)
    (d / 'config.json').write_text('{not json')
    with pytest.raises(ModelError, match='not a valid generator config'): load_generator(d)


def test_discriminator_and_mbstd():
    D = Discriminator(gan_preset('tiny'))
    for n in (1, 3, 4, 8): assert D(torch.randn(n, 3, 16, 16)).shape == (n, 1)
    with pytest.raises(DataError, match='N×3×16×16'): D(torch.randn(2, 3, 32, 32))
    x = torch.randn(8, 6, 4, 4)
    y = minibatch_std(x, group=4)
    assert y.shape == (8, 7, 4, 4) and torch.equal(y[:, :6], x)
    # groups are samples {i, i+2, i+4, i+6}: the statistic is shared inside a group and depends on it only
    s = y[:, 6, 0, 0]
    assert torch.allclose(s[0::2], s[0].expand(4)) and torch.allclose(s[1::2], s[1].expand(4))
    ref = x[0::2].std(0, unbiased=False).mean()
    assert torch.allclose(s[0], ref, atol=1e-5)


def test_discriminator_widths_apart_from_generator(tmp_path):
    "d_channels sets D's widths only; G, its saved folder and old configs without the key are unaffected"
    base = gan_preset('tiny')
    cfg = GANConfig.from_dict({**base.to_dict(), 'd_channels': {4: 16, 8: 8, 16: 4}})
    D, G = Discriminator(cfg), Generator(cfg)
    assert D.fromrgb.weight.shape[0] == 4 and D.conv.weight.shape[0] == 16 and D(torch.randn(4, 3, 16, 16)).shape == (4, 1)
    assert [p.shape for p in G.parameters()] == [p.shape for p in Generator(base).parameters()]
    G2 = load_generator(save_generator(G, tmp_path / 'g'))
    assert G2.cfg.d_channels == {4: 16, 8: 8, 16: 4}
    old = {k: v for k, v in base.to_dict().items() if k != 'd_channels'}     # a config.json from before the field
    assert GANConfig.from_dict(old).d_channels == base.channels
    with pytest.raises(ModelError, match='divide'): GANConfig.from_dict({**old, 'd_channels': {4: 6, 8: 8, 16: 4}, 'mbstd_channels': 4})


def test_gradients_reach_every_parameter():
    G, D = make_G(train_noise=False), Discriminator(gan_preset('tiny'))
    z = torch.randn(4, G.z_dim)
    loss = F.softplus(-D(G(z))).mean()
    loss.backward()
    for n, p in [*G.named_parameters(), *D.named_parameters()]:
        assert p.grad is not None and torch.isfinite(p.grad).all(), n
        # noise strengths start at 0 but still get a gradient; everything else gets a non-zero one
        assert p.grad.abs().sum() > 0, n
    # gradient with respect to the latent (what explanation methods use)
    ws = G.mapping(z).detach().requires_grad_()
    D(G.synthesis(ws, noise_mode='const')).sum().backward()
    assert ws.grad is not None and ws.grad.abs().sum() > 0


def test_fused_modconv_matches():
    G = make_G()
    ws = G.mapping(torch.randn(3, G.z_dim))
    a = G.synthesis(ws, noise_mode='const')
    b = G.synthesis(ws, noise_mode='const', fused_modconv=True)
    assert torch.allclose(a, b, atol=1e-4)


def test_deterministic_with_seed():
    G1, G2 = make_G(seed=5), make_G(seed=5)
    for (n1, p1), (n2, p2) in zip(G1.state_dict().items(), G2.state_dict().items()): assert torch.equal(p1, p2), n1
    z = torch.randn(2, G1.z_dim, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(7); a = G1(z)
    torch.manual_seed(7); b = G1(z)
    assert torch.equal(a, b)                                        # random noise follows torch's global seed
    assert not torch.equal(make_G(seed=6)(z, noise_mode='const'), G1(z, noise_mode='const'))


def test_bf16_autocast_close():
    G = make_G()
    ws = G.mapping(torch.randn(2, G.z_dim))
    ref = G.synthesis(ws, noise_mode='const')
    G.synthesis.bf16 = True
    out = G.synthesis(ws, noise_mode='const')
    assert out.dtype == torch.float32 and (out - ref).abs().max() < 0.1 * ref.abs().max()
    D = Discriminator(gan_preset('tiny'), bf16=True)
    assert D(out).dtype == torch.float32


def test_cmd_generate(tmp_path, capsys):
    from PIL import Image
    d = save_generator(make_G(channels=1), tmp_path / 'g')
    out = cmd_generate(str(d), n=5, seed=3, out=str(tmp_path / 'grid.png'), truncation=0.7)
    assert str(out) in capsys.readouterr().out
    im = Image.open(out)
    assert im.size == (3 * 16 + 4 * 2, 2 * 16 + 3 * 2)            # 3 columns × 2 rows with 2 px padding
    first = out.read_bytes()
    cmd_generate(str(d), n=5, seed=3, out=str(tmp_path / 'grid2.png'), truncation=0.7)
    assert (tmp_path / 'grid2.png').read_bytes() == first           # same seed, same bytes
    with pytest.raises(ModelError): cmd_generate(str(tmp_path / 'nothing'))
    with pytest.raises(DataError): cmd_generate(str(d), n=0)


def test_double_backward_for_regularisers():
    "R1 (grad of D wrt reals) and path length (grad of G wrt ws) need create_graph=True through every op"
    G, D = make_G(), Discriminator(gan_preset('tiny'))
    real = torch.randn(4, 3, 16, 16).requires_grad_()
    (g,) = torch.autograd.grad(D(real).sum(), real, create_graph=True)
    g.square().sum().backward()
    # every weight gets a second-order gradient (biases may not: the input gradient doesn't depend on all of them)
    for n, p in D.named_parameters():
        if n.endswith('weight'): assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, n
    ws = G.mapping(torch.randn(2, G.z_dim)).detach().requires_grad_()
    img = G.synthesis(ws)
    (gw,) = torch.autograd.grad((img * torch.randn_like(img)).sum(), ws, create_graph=True)
    gw.square().sum().backward()
    assert G.synthesis.blocks[-1].conv1.weight.grad.abs().sum() > 0


def test_nchw_path_matches_channels_last():
    "CUDA runs NCHW by default, the CPU channels-last: both layouts give the same images and logits"
    G, D = make_G(), Discriminator(gan_preset('tiny'))
    ws = G.mapping(torch.randn(3, G.z_dim))
    a, la = G.synthesis(ws, noise_mode='const'), D(G.synthesis(ws, noise_mode='const'))
    G.synthesis.channels_last = D.channels_last = False
    b = G.synthesis(ws, noise_mode='const')
    assert torch.allclose(a, b, atol=1e-5) and torch.allclose(la, D(b), atol=1e-5)


def _dtypes_seen(model, kind, run):
    "{layer name: output dtype} of the `kind` layers of `model` while `run()` calls it"
    seen = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: seen.__setitem__(n, o.dtype))
             for n, m in model.named_modules() if isinstance(m, kind)]
    try:
        with torch.no_grad(): run()
    finally:
        for h in hooks: h.remove()
    return seen


def test_fp16_res_discriminator():
    "NVlabs' num_fp16_res: D's top blocks run in float16 (fromRGB with them), the rest and the epilogue in float32"
    from dataclasses import replace
    from latent_explain.discriminator import EqConv
    torch.manual_seed(0)
    cfg = replace(gan_preset('tiny32'), fp16_res=2, conv_clamp=256.)
    D, x = Discriminator(cfg), torch.randn(4, 3, 32, 32)
    assert set(_dtypes_seen(D, EqConv, lambda: D(x)).values()) == {torch.float32}   # on CPU float32 unless asked
    seen = _dtypes_seen(D, EqConv, lambda: D(x, force_fp32=False))
    half = {n for n, d in seen.items() if d == torch.float16}
    assert half == {'fromrgb'} | {f'blocks.{i}.{l}' for i in (0, 1) for l in ('conv0', 'conv1', 'skip')}   # 32, 16
    assert seen['blocks.2.conv0'] == seen['conv'] == torch.float32
    with torch.no_grad(): lo, lo32 = D(x, force_fp32=False), D(x, force_fp32=True)
    assert lo.dtype == torch.float32 and lo.isfinite().all()
    assert set(_dtypes_seen(D, EqConv, lambda: D(x, force_fp32=True)).values()) == {torch.float32}
    D0 = Discriminator(replace(cfg, fp16_res=0)); D0.load_state_dict(D.state_dict())
    with torch.no_grad(): assert torch.equal(lo32, D0(x))          # force_fp32: exactly the float32 network
    assert 0 < (lo - lo32).abs().max() <= 1e-2 * lo32.abs().max()
    Db = Discriminator(cfg, bf16=True); Db.load_state_dict(D.state_dict())   # bf16 autocast wins over fp16_res
    assert torch.float16 not in _dtypes_seen(Db, EqConv, lambda: Db(x, force_fp32=False)).values()


def test_fp16_res_generator_and_config(tmp_path):
    "G: float16 blocks only when asked (force_fp32=False) or on CUDA; fp16_res round-trips, old configs read 0"
    from dataclasses import replace
    from latent_explain.stylegan import ModulatedConv
    G = make_G(preset='tiny32')
    G16 = Generator(replace(G.cfg, fp16_res=1)); G16.load_state_dict(G.state_dict())
    ws = G.mapping(torch.randn(3, G.z_dim))
    seen = _dtypes_seen(G16, ModulatedConv, lambda: G16.synthesis(ws, noise_mode='const', force_fp32=False))
    assert {n for n, d in seen.items() if d == torch.float16} == {'synthesis.blocks.3.conv0', 'synthesis.blocks.3.conv1'}
    with torch.no_grad():
        im, ref = G16.synthesis(ws, noise_mode='const', force_fp32=False), G.synthesis(ws, noise_mode='const')
        assert im.dtype == torch.float32 and im.isfinite().all()
        assert 0 < (im - ref).abs().max() <= 1e-2 * ref.abs().max()
        assert torch.equal(G16.synthesis(ws, noise_mode='const'), ref)               # CPU default: float32
        assert torch.equal(G16.synthesis(ws, noise_mode='const', force_fp32=True), ref)
    save_generator(G16, tmp_path / 'g')
    assert load_generator(tmp_path / 'g').cfg.fp16_res == 1
    old = {k: v for k, v in G.cfg.to_dict().items() if k != 'fp16_res'}
    assert GANConfig.from_dict(old).fp16_res == 0
    with pytest.raises(ModelError, match='fp16_res'): GANConfig(fp16_res=-2)


def test_conv_clamp_backward():
    "A generator and discriminator with conv_clamp (as NVlabs' snapshots have) differentiate: explanations need it"
    from dataclasses import replace
    cfg = replace(gan_preset('tiny'), conv_clamp=256.)
    G, D = Generator(cfg), Discriminator(cfg)
    ws = G.mapping(torch.randn(2, G.z_dim)).detach().requires_grad_(True)
    D(G.synthesis(ws, noise_mode='const')).sum().backward()
    assert ws.grad is not None and ws.grad.abs().sum() > 0

