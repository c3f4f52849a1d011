"Command functions of latent_explain.classifier on tiny image folders: train, predict, unreadable files"
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import io, json
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from fastcore.script import anno_parser
from latent_explain.data import DataError, ModelError
from latent_explain.datasets import synth_histology, synth_knee, write_image_folder
from latent_explain.classifier import cmd_train_classifier, load_classifier
from latent_explain.predict import cmd_predict, predict_files, Predictor

torch.set_num_threads(1)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A classifier trained for one epoch on 64 tiny histology tiles, by the command function"
    d = tmp_path_factory.mktemp('cli')
    write_image_folder(synth_histology(n=64, size=32, seed=1), d/'data')
    cmd_train_classifier(str(d/'data'), epochs=1, size=32, bs=16, out=str(d/'clf'))
    return d


def test_train_writes_classifier_folder(trained):
    assert sorted(p.name for p in (trained/'clf').iterdir()) == ['config.json', 'model.safetensors']
    cfg = json.loads((trained/'clf'/'config.json').read_text())
    assert cfg['classes'] == ['normal', 'tumour'] and cfg['input_size'] == [32, 32] and cfg['n_in'] == 3
    assert cfg['build']['kind'] == 'fastai_timm' and cfg['arch'] == 'resnet18'


def test_train_prints_valid_metrics(tmp_path, capsys):
    write_image_folder(synth_knee(n=32, size=32, seed=2), tmp_path/'knee')
    cmd_train_classifier(str(tmp_path/'knee'), epochs=1, size=32, bs=16, out=str(tmp_path/'k'))
    out = capsys.readouterr().out
    assert 'accuracy=' in out and 'roc_auc_score=' in out and str(tmp_path/'k') in out
    assert load_classifier(tmp_path/'k').n_in == 1  # grayscale folder -> 1-channel model, found from the files


def test_predict_prints_csv_header_and_rows(trained, capsys):
    files = sorted((trained/'data').glob('*/*.png'))[:3]
    df = cmd_predict(*map(str, files), clf=str(trained/'clf'))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'path,normal,tumour' and len(lines) == 4
    for f, line in zip(files, lines[1:]):
        path, *p = line.split(',')
        assert path == str(f) and len(p) == 2 and abs(sum(map(float, p)) - 1) < 1e-4
    back = pd.read_csv(io.StringIO('\n'.join(lines)))
    np.testing.assert_allclose(back[['normal', 'tumour']].to_numpy(), df[['normal', 'tumour']].to_numpy(), atol=1e-6)


def test_predict_files_matches_wrapper(trained):
    from latent_explain.data import load_image, to_generator_range
    clf = load_classifier(trained/'clf')
    files = sorted((trained/'data').glob('*/*.png'))[:4]
    df = predict_files(clf, files)
    x = to_generator_range(np.stack([load_image(f, 3) for f in files]))
    np.testing.assert_allclose(df[['normal', 'tumour']].to_numpy(), Predictor(clf).probs(x).numpy(),
                               atol=1e-6)
    big = trained/'big.png'  # a different size is resized to the classifier's input
    Image.fromarray(np.repeat(np.repeat(load_image(files[0], 3), 2, 0), 2, 1)).save(big)
    assert predict_files(clf, [big]).shape == (1, 3)


def test_predict_truncated_png_names_file(trained):
    good = sorted((trained/'data').glob('*/*.png'))[0]
    bad = trained/'truncated.png'
    bad.write_bytes(good.read_bytes()[:60])
    with pytest.raises(DataError, match='truncated.png'): cmd_predict(str(good), str(bad), clf=str(trained/'clf'))
    with pytest.raises(DataError, match='missing.png'): cmd_predict(str(trained/'missing.png'), clf=str(trained/'clf'))


def test_predict_bad_classifier_folder(trained):
    good = sorted((trained/'data').glob('*/*.png'))[0]
    with pytest.raises(ModelError, match='no_such_clf'): cmd_predict(str(good), clf=str(trained/'no_such_clf'))


def test_command_line_parsing():
    "The options the integrator's CLI will expose (fastcore.script turns parameters into --kebab-case options)"
    ns = anno_parser(cmd_predict).parse_args(['a.png', 'b.png', '--clf', 'mydir'])
    assert ns.images == ['a.png', 'b.png'] and ns.clf == 'mydir'
    ns = anno_parser(cmd_train_classifier, pos=['data']).parse_args(['folder', '--epochs', '2', '--lr', '0.01'])
    assert (ns.data, ns.epochs, ns.lr, ns.arch, ns.channels) == ('folder', 2, 0.01, 'resnet18', None)
