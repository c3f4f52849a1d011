"Classifier save/load without pickle, wrappers, black-box wrapper and GradCAM (latent_explain.classifier)"
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import json, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image
from fastai.vision.learner import create_timm_model
from latent_explain.data import DataError, ModelError, to_generator_range
from latent_explain.classifier import Classifier, save_classifier, load_classifier
from latent_explain.predict import Predictor, gradcam, find_cam_layer, to_classifier_input, select_output

torch.set_num_threads(1)


def fastai_timm(arch='resnet18', n_out=2, n_in=3, seed=0):
    "The model vision_learner(dls, arch, pretrained=False) builds, with non-trivial BN statistics"
    torch.manual_seed(seed)
    m = create_timm_model(arch, n_out, pretrained=False, n_in=n_in)[0]
    for mod in m.modules():  # BN running stats as after training, so that eval-mode outputs depend on them
        if isinstance(mod, nn.BatchNorm2d) or isinstance(mod, nn.BatchNorm1d):
            mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
    return m.eval()


@pytest.fixture(scope='module')
def clf():
    return Classifier.from_module(fastai_timm(), classes=['normal', 'tumour'], input_size=(32, 32),
                                  normalise=([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]))


def images(n=4, size=32, c=3, seed=0):
    u8 = np.random.default_rng(seed).integers(0, 256, (n, size, size, c), dtype=np.uint8)
    return u8, to_generator_range(u8)


# --- save / load -----------------------------------------------------------------------------------------------

def test_save_writes_json_and_safetensors_only(clf, tmp_path):
    save_classifier(clf, tmp_path/'c')
    assert sorted(p.name for p in (tmp_path/'c').iterdir()) == ['config.json', 'model.safetensors']
    cfg = json.loads((tmp_path/'c'/'config.json').read_text())
    assert cfg['arch'] == 'resnet18' and cfg['n_in'] == 3 and cfg['n_out'] == 2
    assert cfg['classes'] == ['normal', 'tumour'] and cfg['input_size'] == [32, 32]
    assert cfg['normalisation']['mean'] == pytest.approx([0.5, 0.4, 0.3]) and '[0, 1]' in cfg['normalisation']['applies_to']
    assert 'softmax' in cfg['output_meaning'] and cfg['library_version']
    for p in (tmp_path/'c').iterdir():  # no pickle stream anywhere (pickle protocol 2+ starts with 0x80)
        assert not p.read_bytes().startswith(b'\x80')


def test_load_in_fresh_process_equal_and_deterministic(clf, tmp_path):
    save_classifier(clf, tmp_path/'c')
    _, x = images(3)
    np.save(tmp_path/'x.npy', x.numpy())
    with torch.no_grad(): ref = clf(to_classifier_input(x, clf.input_size, 3, clf.mean, clf.std)).numpy()
    code = textwrap.dedent(f"""
        import numpy as np, torch
        from latent_explain.classifier import load_classifier
        from latent_explain.predict import Predictor
        x = torch.from_numpy(np.load({str(tmp_path/'x.npy')!r}))
        outs = []
        for _ in range(2):
            c = load_classifier({str(tmp_path/'c')!r})
            with torch.no_grad(): outs.append(Predictor(c, 0).logits(x).numpy())
        assert np.array_equal(outs[0], outs[1])
        np.save({str(tmp_path/'y.npy')!r}, outs[0])
    """)
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path/'y.npy'), ref, rtol=0, atol=1e-5)


def test_load_metadata_roundtrip(clf, tmp_path):
    c2 = load_classifier(save_classifier(clf, tmp_path/'c'))
    assert (c2.classes, c2.input_size, c2.n_in, c2.output) == (clf.classes, clf.input_size, 3, 'softmax')
    assert torch.equal(c2.mean, clf.mean) and torch.equal(c2.std, clf.std)
    assert not c2.training


def test_grayscale_convnext_roundtrip(tmp_path):
    c = Classifier.from_module(fastai_timm('convnext_atto', n_in=1), classes=['normal', 'OA'], input_size=32)
    c2 = load_classifier(save_classifier(c, tmp_path/'g'))
    _, x = images(2, c=1)
    with torch.no_grad(): assert torch.equal(Predictor(c2).logits(x), Predictor(c).logits(x))


def test_pickle_refused_without_trust(clf, tmp_path):
    torch.save(clf.model, tmp_path/'model.pth')
    with pytest.raises(ModelError, match='trust_pickle=True') as e: load_classifier(tmp_path/'model.pth')
    assert 'model.pth' in str(e.value) and 'save_classifier' in str(e.value)
    with pytest.raises(ModelError, match='trust_pickle=True'): load_classifier(tmp_path)  # folder holding only a pickle
    c2 = load_classifier(tmp_path/'model.pth', trust_pickle=True, classes=clf.classes, input_size=(32, 32))
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad(): assert torch.equal(c2(x), clf(x))


@pytest.mark.parametrize('damage, fragment', [
    (lambda d: (d/'model.safetensors').write_bytes(b'\x00' * 20), 'model.safetensors'),
    (lambda d: (d/'model.safetensors').unlink(), 'model.safetensors'),
    (lambda d: (d/'config.json').write_text('{"format": '), 'config.json'),
    (lambda d: (d/'config.json').unlink(), 'config.json'),
    (lambda d: (d/'config.json').write_text(json.dumps({**json.loads((d/'config.json').read_text()), 'build': {
        **json.loads((d/'config.json').read_text())['build'], 'arch': 'resnet34'}})), 'resnet34'),
    (lambda d: (d/'config.json').write_text(json.dumps({**json.loads((d/'config.json').read_text()), 'build': {
        **json.loads((d/'config.json').read_text())['build'], 'arch': 'no_such_net'}})), 'no_such_net'),
])
def test_damaged_folder_raises_model_error_naming_file(clf, tmp_path, damage, fragment):
    d = save_classifier(clf, tmp_path/'c')
    damage(d)
    with pytest.raises(ModelError, match=fragment) as e: load_classifier(d)
    assert str(d) in str(e.value)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelError, match='no_clf'): load_classifier(tmp_path/'no_clf')


def test_plain_module_needs_builder(tmp_path):
    import torchvision
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=3).eval()
    with pytest.raises(ModelError, match='builder'): save_classifier(m, tmp_path/'p', classes=['a', 'b', 'c'], input_size=32)
    save_classifier(m, tmp_path/'p', classes=['a', 'b', 'c'], input_size=32,
                    builder='torchvision.models:resnet18', builder_kwargs={'num_classes': 3})
    with pytest.raises(ModelError, match='builder='): load_classifier(tmp_path/'p')  # imports code only when asked
    c = load_classifier(tmp_path/'p', builder='torchvision.models:resnet18')
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad(): assert torch.equal(c(x), m(x))


# --- wrapper ---------------------------------------------------------------------------------------------------

def test_wrapper_equals_raw_model_on_preprocessed_input(clf):
    u8, x = images(3)
    ref_in = (torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 255 - clf.mean) / clf.std
    with torch.no_grad():
        z = clf(ref_in)
        torch.testing.assert_close(Predictor(clf, 'tumour').target_output(x, 'logit'), z[:, 1], atol=1e-5, rtol=0)
        torch.testing.assert_close(Predictor(clf, 0).target_output(x, 'logit'), z[:, 0], atol=1e-5, rtol=0)
        torch.testing.assert_close(Predictor(clf, 1)(x), z[:, 1] - z[:, 0], atol=1e-5, rtol=0)
        torch.testing.assert_close(Predictor(clf, 1).prob(x), z.softmax(1)[:, 1], atol=1e-6, rtol=0)


def test_wrapper_resizes_and_converts_channels(clf):
    big = torch.rand(2, 1, 64, 64) * 2 - 1
    w = lambda x: Predictor(clf, 1).target_output(x, 'logit')
    small = torch.nn.functional.interpolate(big, size=(32, 32), mode='bilinear', antialias=True)
    with torch.no_grad():
        expect = clf(((small.expand(-1, 3, -1, -1) + 1) / 2 - clf.mean) / clf.std)[:, 1]
        torch.testing.assert_close(w(big), expect, atol=1e-5, rtol=0)
    with pytest.raises(DataError, match='channels'): w(torch.zeros(1, 2, 32, 32))


def test_rgb_to_gray_matches_pil_luminance():
    rgb = np.random.default_rng(1).integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
    gray = np.asarray(Image.fromarray(rgb[0]).convert('L'), dtype=np.float32) / 255
    got = to_classifier_input(to_generator_range(rgb), 8, 1)[0, 0].numpy()
    np.testing.assert_allclose(got, gray, atol=1 / 255 + 1e-6)


def test_margin_multiclass_and_sigmoid_and_regression():
    z = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    torch.testing.assert_close(select_output(z, 1, 'margin', 'softmax'),
                               z[:, 1] - torch.logsumexp(z[:, [0, 2]], 1))
    p = z.softmax(1)[:, 1]
    torch.testing.assert_close(select_output(z, 1, 'margin', 'softmax'), torch.log(p / (1 - p)))
    s = torch.tensor([[0.3], [-2.0]])
    torch.testing.assert_close(select_output(s, 1, 'logit', 'sigmoid'), s[:, 0])
    torch.testing.assert_close(select_output(s, 0, 'prob', 'sigmoid'), 1 - torch.sigmoid(s[:, 0]))
    torch.testing.assert_close(select_output(z, 2, 'logit', 'regression'), z[:, 2])
    with pytest.raises(DataError, match='regression'): select_output(z, 0, 'prob', 'regression')


def test_wrapper_single_logit_binary():
    m = fastai_timm(n_out=1)
    c = Classifier.from_module(m, classes=['normal', 'OA'], input_size=32)
    assert c.output == 'sigmoid'
    _, x = images(2)
    w1, w0 = Predictor(c, 'OA'), Predictor(c, 'normal')
    with torch.no_grad():
        torch.testing.assert_close(w0(x), -w1(x))
        torch.testing.assert_close(w1.probs(x)[:, 1], torch.sigmoid(w1(x)))


def test_wrapper_gradients_reach_input_and_weights_untouched(clf):
    _, x = images(2)
    x = x.clone().requires_grad_(True)
    w = Predictor(clf, 'tumour')
    w.train()  # stays in eval: BN statistics must not move
    before = {k: v.clone() for k, v in clf.model.state_dict().items()}
    w(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0 and torch.isfinite(x.grad).all()
    assert not clf.training
    assert all(torch.equal(before[k], v) for k, v in clf.model.state_dict().items())


def test_bad_target(clf):
    with pytest.raises(DataError, match='tumour'): Predictor(clf, 'cancer')
    with pytest.raises(DataError, match='out of range'): Predictor(clf, 5)


# --- black box -------------------------------------------------------------------------------------------------

def test_black_box_equals_white_box(clf):
    u8, x = images(5)
    white = Predictor(clf, 'tumour')
    calls = []
    def api_logits(batch):  # uint8 N×H×W×C in, logits out (like an ONNX session)
        calls.append(len(batch))
        assert batch.dtype == np.uint8 and batch.shape[1:] == (32, 32, 3)
        with torch.no_grad(): return white.logits(to_generator_range(batch)).numpy()
    bb = Predictor.black_box(api_logits, classes=clf.classes, target='tumour', fn_output='logit', batch_size=2)
    y = bb(x)
    assert calls == [2, 2, 1] and isinstance(y, torch.Tensor) and not y.requires_grad
    with torch.no_grad():
        torch.testing.assert_close(y, white(x), atol=1e-5, rtol=0)
        torch.testing.assert_close(bb.probs(x), white.probs(x), atol=1e-5, rtol=0)
        def api_probs(batch): return white.probs(to_generator_range(batch)).numpy()
        for out in ('prob', 'margin', 'logit'):  # from probabilities, 'logit' can only be the log-odds
            torch.testing.assert_close(Predictor.black_box(api_probs).target_output(x, out),
                                       Predictor(clf, 1).target_output(x, 'margin' if out == 'logit' else out),
                                       atol=1e-4, rtol=0)


def test_black_box_float_input_and_single_column():
    seen = {}
    def fn(batch):
        seen['b'] = batch
        return batch.mean(axis=(1, 2, 3))  # P(positive) = mean brightness, one column
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    bb = Predictor.black_box(fn, input='float_nchw', input_size=(8, 8), n_in=3)
    p = bb.prob(x)
    assert seen['b'].dtype == np.float32 and seen['b'].shape == (3, 3, 8, 8) and 0 <= seen['b'].min()
    torch.testing.assert_close(p, torch.from_numpy(seen['b'].mean(axis=(1, 2, 3))).float(), atol=1e-6, rtol=0)
    torch.testing.assert_close(bb.probs(x).sum(1), torch.ones(3), atol=1e-6, rtol=0)


# --- GradCAM ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('arch, layer', [('resnet18', 'layer4'), ('convnext_atto', 'stages')])
def test_gradcam_shape_range(arch, layer):
    c = Classifier.from_module(fastai_timm(arch), classes=['a', 'b'], input_size=64)
    name, _ = find_cam_layer(c)
    assert name.endswith(layer), name
    _, x = images(3, size=48)  # maps come back at the input's size, not the classifier's
    maps = {t: gradcam(c, x, target=t, output='margin') for t in 'ab'}
    for m in maps.values():
        assert m.shape == (3, 48, 48) and m.dtype == np.float32
        assert m.min() >= 0 and m.max() <= 1 and np.isfinite(m).all()
    # margin_a = -margin_b, so the two weighted activation sums are opposite: GradCAM's ReLU keeps one of them, and an
    # untrained model must still give a non-constant map for one of the two targets on every image
    spread = np.maximum(maps['a'].reshape(3, -1).std(1), maps['b'].reshape(3, -1).std(1))
    assert (spread > 0).all()


def test_gradcam_small_input_falls_back_to_spatial_layer():
    c = Classifier.from_module(fastai_timm('resnet18'), classes=['a', 'b'], input_size=32)
    assert find_cam_layer(c)[0].endswith('layer3')  # layer4 is 1×1 at 32 px: no map to show
    maps = gradcam(c, images(2, size=32)[1], layer='0.model.layer2')
    assert maps.shape == (2, 32, 32)


# --- training ----------------------------------------------------------------------------------------------------

def test_train_same_seed_same_model_and_n_in_check():
    from latent_explain.datasets import synth_histology
    from latent_explain.data import image_dataloaders
    from latent_explain.classifier import train_classifier
    ds = synth_histology(n=48, size=16, seed=0)
    sds = []
    for _ in range(2):
        dls = image_dataloaders(ds, size=16, bs=16, seed=0, augment='dihedral')
        learn = train_classifier(dls, epochs=1, progress=False, seed=3)
        sds.append(learn.model.state_dict())
    assert all(torch.equal(sds[0][k], sds[1][k]) for k in sds[0])
    assert learn.le_build == dict(kind='fastai_timm', arch='resnet18', n_in=3, n_out=2, head={}, timm_kwargs={})
    with pytest.raises(DataError, match='channels=1'): train_classifier(dls, epochs=1, n_in=1, progress=False)


def test_torchvision_arch_and_head_options_roundtrip(tmp_path):
    "fastai bodies from torchvision functions and non-default head / timm options are rebuilt exactly"
    from fastai.vision.models import resnet18
    from latent_explain.datasets import synth_histology
    from latent_explain.data import image_dataloaders
    from latent_explain.classifier import train_classifier
    dls = image_dataloaders(synth_histology(n=32, size=32, seed=0), size=32, bs=16)
    x = torch.rand(2, 3, 32, 32)
    for i, (arch, kw) in enumerate([(resnet18, {}), ('resnet18', dict(ps=0.25, lin_ftrs=[64], drop_path_rate=0.05))]):
        learn = train_classifier(dls, arch, epochs=1, progress=False, **kw)
        c = load_classifier(save_classifier(learn, tmp_path/str(i)))
        learn.model.eval()
        with torch.no_grad(): assert torch.equal(c(x), learn.model(x))
    assert json.loads((tmp_path/'0'/'config.json').read_text())['build']['kind'] == 'fastai_torchvision'
    assert find_cam_layer(load_classifier(tmp_path/'0'))[0] == '0.6'  # fastai Sequential body: layer3 (layer4 is 1×1)
