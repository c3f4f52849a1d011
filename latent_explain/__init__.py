"""Explain image classifiers by walking a StyleGAN2 latent space: counterfactual image series, difference maps and GradCAM, proven faithful on planted ground truth.

Modules:

- `latent_explain.all`: `from latent_explain.all import *`: every public name a user of the explaining chain needs, in one import (fastai's convention).
- `latent_explain.attribution`: `LatentShift` as a `captum.attr.Attribution`: the counterfactual's difference map drops into code written for Captum, and Captum's own metrics score it beside GradCAM.
- `latent_explain.attribution_metrics`: COUT, Quantus' pixel flipping, relevance mass accuracy and model randomisation for the counterfactual difference map, with GradCAM and a random map scored the same way.
- `latent_explain.audit`: `latent-explain audit`: does a classifier read a region it should not? Per model, how often its explanations change the region, how much of their difference map falls in it, what else they change, and whether the models read the same thing
- `latent_explain.augment`: ADA (adaptive discriminator augmentation) and DiffAugment: what keeps the discriminator from memorising a small medical dataset.
- `latent_explain.check`: `latent-explain check`: before explaining, is this generator (and encoder) fit to explain this classifier on these images? Measures with a verdict each, and the figures to look at first
- `latent_explain.classifier`: Train fastai + timm classifiers and save and load them without pickle: the model a user wants explained.
- `latent_explain.cli`: `latent-explain`: one console command with a sub-command per stage of the pipeline.
- `latent_explain.core`: Errors, atomic writes, the image-range converters, argument checks and the artifact folders that every stage reads and writes: the small base every other module imports.
- `latent_explain.data`: Users' images in any container — PNG, JPEG, TIFF, DICOM, HDF5, folders and CSV tables — read as uint8 arrays, and the fastai `DataLoaders` built from any of them.
- `latent_explain.datasets`: Synthetic histology and knee radiographs whose labels are caused by known factors, real IHC tiles labelled by their DAB fraction, and how any of them is written as an image folder.
- `latent_explain.demo`: `latent-explain demo`: explain held-out IHC tiles and audit a knee classifier's shortcut, with the models that ship inside the package
- `latent_explain.direction`: The move in latent space that changes a classifier's prediction: five ways to find it, from the paper's logistic regression to per-image gradients, and a pixel baseline that uses no generator.
- `latent_explain.discriminator`: StyleGAN2's residual discriminator: what the generator is trained against, what an encoder borrows its perceptual features from, and what NVlabs snapshots carry beside their generator.
- `latent_explain.evaluate`: Numbers that say whether an explanation reveals what the classifier really uses: validity, monotonicity, proximity, realism, attribute recovery, localisation and a sanity check.
- `latent_explain.explain`: The counterfactual series: an image inverted, moved along a direction, the prediction under every frame, where it flips, what changed, and GradCAM beside it.
- `latent_explain.gan_run`: The training recipe (`TrainOptions`) and the folder a run writes: config, checkpoints with their optimiser and random states, the training state, and the best snapshot.
- `latent_explain.inversion`: An encoder's guess of a real image's latent, refined by optimisation: the W+ code (and, if asked, the noise maps) under which the generator redraws the image.
- `latent_explain.latents`: Addressing a generator: its W, W+ and StyleSpace coordinates, images rendered from a moved latent with the noise held, sampled latents, noise maps, and the generator's fingerprint and discriminator, resolved once into one handle.
- `latent_explain.meters`: Attribute meters: numbers read off any image, real or generated (DAB and hematoxylin fractions, nuclei count and size, joint-space width, marker score, mean intensity), validated against the generators' known factors.
- `latent_explain.nvlabs`: Load the generator and discriminator of a stylegan2-ada-pytorch network pickle as our own `Generator` / `Discriminator`, without NVIDIA's code and without running any code from the file.
- `latent_explain.pipeline`: `latent-explain run`: one command from a folder of images (and a classifier, or one trained on the folder's labels) to evaluated explanations, with the readiness check's verdicts on top
- `latent_explain.predict`: `Predictor` turns any classifier — a saved folder, a fastai Learner, a torch module or a black box behind a function — into the one function of generator-range images that every explaining stage takes; GradCAM, file prediction and the planted-shortcut check build on it.
- `latent_explain.realism`: A classifier two-sample test (C2ST) and its views, meter distances, spread and saturation: how far generated images are from real ones, measured without downloaded weights.
- `latent_explain.stylegan`: Mapping and synthesis networks, a residual discriminator, W / W+ / StyleSpace addressing, presets, safe save and load — no custom CUDA ops, CPU and GPU alike.
- `latent_explain.test_utils`: The small generator, toy classifier and planted truth the chapters' examples and the test suite run on: an explanation method must find brightness when brightness is all the classifier reads.
- `latent_explain.train_demo`: `latent-explain train-demo`: every model the package ships, reproduced from nothing by this package's own code
- `latent_explain.train_gan`: StyleGAN2 training: lazy-regularised phases, EMA, ADA or DiffAugment, realism snapshots, exact crash-safe resume, DDP.
- `latent_explain.train_gan_cli`: `latent-explain train-gan`: its flags built from `TrainOptions`, everything checked before any image is read, and a resume that refuses to change the recipe it continues.
- `latent_explain.widgets`: Sliders in Jupyter: drag α through an explanation, or steer a generator along several directions at once."""

__version__ = "0.0.1"
