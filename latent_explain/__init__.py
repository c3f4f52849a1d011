"""Explain image classifiers by walking a StyleGAN2 latent space: counterfactual image series, difference maps and GradCAM, proven faithful on planted ground truth.

Modules:

- `latent_explain.core`: Errors, atomic writes, the image-range converters, argument checks and the artifact folders that every stage reads and writes: the small base every other module imports.
- `latent_explain.data`: Users' images in any container — PNG, JPEG, TIFF, DICOM, HDF5, folders and CSV tables — read as uint8 arrays, and the fastai `DataLoaders` built from any of them.
- `latent_explain.meters`: Attribute meters: numbers read off any image, real or generated (DAB and hematoxylin fractions, nuclei count and size, joint-space width, marker score, mean intensity), validated against the generators' known factors."""

__version__ = "0.0.1"
